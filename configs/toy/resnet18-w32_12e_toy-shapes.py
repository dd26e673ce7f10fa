# Teacher of the toy demo: a ResNet-18 of width 32 trained on the toy shapes.
_base_ = [
    'mmpretrain::_base_/default_runtime.py',
    '../_base_/datasets/toy_shapes_cls.py',
]

# the data pipeline loads images with vkd_mm's CheckedLoadImageFromFile
custom_imports = dict(imports=['vkd_mm'], allow_failed_imports=False)


model = dict(
    type='ImageClassifier',
    backbone=dict(
        type='ResNet_CIFAR',
        depth=18,
        stem_channels=32,
        base_channels=32,
        num_stages=4,
        out_indices=(3, ),
        style='pytorch'),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(
        type='LinearClsHead',
        num_classes=6,
        in_channels=256,
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0),
        topk=(1, )),
)

optim_wrapper = dict(optimizer=dict(type='AdamW', lr=2e-3, weight_decay=0.05))
param_scheduler = dict(type='CosineAnnealingLR', by_epoch=True, T_max=12, eta_min=1e-5)
train_cfg = dict(by_epoch=True, max_epochs=12, val_interval=12)
val_cfg = dict()
test_cfg = dict()

default_hooks = dict(
    logger=dict(type='LoggerHook', interval=10),
    checkpoint=dict(type='CheckpointHook', interval=1, max_keep_ckpts=1),
)
randomness = dict(seed=0)
