# A small RetinaNet (ResNet-18 of width 16, FPN P3-P5) on the toy shapes detection set: the
# stock mmdet detector that the toy detection distillation uses as student and, wider, teacher.
_base_ = [
    'mmdet::_base_/models/retinanet_r50_fpn.py',
    '../_base_/datasets/toy_coco_detection.py',
    'mmdet::_base_/default_runtime.py',
]

# the data pipeline loads images with vkd_mm's CheckedLoadImageFromFile
custom_imports = dict(imports=['vkd_mm'], allow_failed_imports=False)

width = 16
model = dict(
    data_preprocessor=dict(pad_size_divisor=32),
    backbone=dict(depth=18, base_channels=width, out_indices=(1, 2, 3), init_cfg=None),
    neck=dict(in_channels=[2 * width, 4 * width, 8 * width], out_channels=4 * width,
              start_level=0, add_extra_convs='on_input', num_outs=3),
    bbox_head=dict(
        num_classes=3,
        in_channels=4 * width,
        feat_channels=4 * width,
        stacked_convs=2,
        anchor_generator=dict(strides=[8, 16, 32])),
    # keep low-score boxes: AP ranks them anyway, and an untrained model still gets scored
    test_cfg=dict(score_thr=0.0, max_per_img=20))

optim_wrapper = dict(optimizer=dict(type='AdamW', lr=1e-3, weight_decay=1e-4),
                     clip_grad=dict(max_norm=10, norm_type=2))
param_scheduler = dict(type='CosineAnnealingLR', by_epoch=True, T_max=12, eta_min=1e-5)
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=12, val_interval=12)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')

default_hooks = dict(
    logger=dict(type='LoggerHook', interval=10),
    checkpoint=dict(type='CheckpointHook', interval=1, max_keep_ckpts=1))
randomness = dict(seed=0)
