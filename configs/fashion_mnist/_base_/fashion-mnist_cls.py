# Fashion-MNIST (real data, 28 x 28 grey, 10 classes) read from the idx files by FashionMNISTIdx:
# Debian's `apt-get install dataset-fashion-mnist` puts them in /usr/share/datasets/fashion-mnist;
# any folder holding the four files works as data_root. Validation and test are the 10,000 test
# images. The training set is the first 5,000 training images (`indices`; None: all 60,000).
_base_ = [
    'mmpretrain::_base_/default_runtime.py', '../../_base_/distill/no_decay_on_pairs.py'
]

custom_imports = dict(imports=['vkd_mm'], allow_failed_imports=False)

dataset_type = 'FashionMNISTIdx'
data_root = '/usr/share/datasets/fashion-mnist'

# the training set's pixel mean and std (0.286, 0.353 on the 0-1 scale)
data_preprocessor = dict(num_classes=10, mean=[72.94], std=[90.02], to_rgb=False)

train_pipeline = [
    dict(type='RandomCrop', crop_size=28, padding=2),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackInputs'),
]
test_pipeline = [dict(type='PackInputs')]

train_dataloader = dict(
    batch_size=128,
    num_workers=0,
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        split='train',
        indices=5000,
        pipeline=train_pipeline),
    sampler=dict(type='DefaultSampler', shuffle=True),
)
val_dataloader = dict(
    batch_size=500,
    num_workers=0,
    dataset=dict(type=dataset_type, data_root=data_root, split='test', pipeline=test_pipeline),
    sampler=dict(type='DefaultSampler', shuffle=False),
)
val_evaluator = dict(type='Accuracy', topk=(1, ))
test_dataloader = val_dataloader
test_evaluator = val_evaluator

optim_wrapper = dict(
    optimizer=dict(type='AdamW', lr=2e-3, weight_decay=0.05),
    # no decay on the distillation pairs (when a distiller has them)
    paramwise_cfg=dict(custom_keys={{_base_.no_decay_on_pairs}}))
max_epochs = 4
param_scheduler = dict(type='CosineAnnealingLR', by_epoch=True, T_max=max_epochs, eta_min=1e-5)
train_cfg = dict(by_epoch=True, max_epochs=max_epochs, val_interval=1)
val_cfg = dict()
test_cfg = dict()

default_hooks = dict(
    logger=dict(type='LoggerHook', interval=50),
    checkpoint=dict(type='CheckpointHook', interval=max_epochs, max_keep_ckpts=1),
)
randomness = dict(seed=0, deterministic=True)
