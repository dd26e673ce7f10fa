# ViDT Swin-nano on the toy shapes detection set (3 classes, 128 x 128): the model of
# configs/vidt with 20 [DET] tokens (at most 3 objects per image) and random initial weights,
# trained on CPU with the official optimiser at a higher learning rate and a short cosine
# schedule.
_base_ = [
    '../_base_/models/vidt_swin-nano.py',
    '../_base_/schedules/vidt_adamw.py',
    '../_base_/datasets/toy_coco_detection.py',
    'mmdet::_base_/default_runtime.py',
]

model = dict(
    backbone=dict(num_det_tokens=20, init_cfg=None),
    bbox_head=dict(num_classes=3),
    test_cfg=dict(max_per_img=20))

train_dataloader = dict(batch_size=4)

optim_wrapper = dict(optimizer=dict(lr=4e-4))

max_epochs = 12
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=max_epochs, val_interval=max_epochs)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
param_scheduler = [
    dict(type='CosineAnnealingLR', by_epoch=True, begin=0, end=max_epochs, T_max=max_epochs,
         eta_min=1e-6)
]

default_hooks = dict(
    logger=dict(type='LoggerHook', interval=10),
    checkpoint=dict(type='CheckpointHook', interval=1, max_keep_ckpts=1))
randomness = dict(seed=0)
