# ViDT Swin-nano on COCO, the official recipe: AdamW lr 1e-4 for every parameter, wd 1e-4, grad
# clip 0.1, cosine over 50 epochs, DETR multi-scale augmentation, 8 GPUs x 2 images.
# Official: 40.4 AP (50 epochs).
_base_ = [
    '../_base_/models/vidt_swin-nano.py', '../_base_/schedules/vidt_adamw.py',
    'mmdet::_base_/datasets/coco_detection.py', 'mmdet::_base_/default_runtime.py'
]

# DETR multi-scale augmentation (the official `make_coco_transforms`; mmdet's Deformable DETR
# pipeline)
scales = [(480, 1333), (512, 1333), (544, 1333), (576, 1333), (608, 1333), (640, 1333),
          (672, 1333), (704, 1333), (736, 1333), (768, 1333), (800, 1333)]
train_pipeline = [
    dict(type='LoadImageFromFile', backend_args={{_base_.backend_args}}),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='RandomFlip', prob=0.5),
    dict(
        type='RandomChoice',
        transforms=[
            [dict(type='RandomChoiceResize', scales=scales, keep_ratio=True)],
            [
                dict(type='RandomChoiceResize', scales=[(400, 4200), (500, 4200), (600, 4200)],
                     keep_ratio=True),
                dict(type='RandomCrop', crop_type='absolute_range', crop_size=(384, 600),
                     allow_negative_crop=True),
                dict(type='RandomChoiceResize', scales=scales, keep_ratio=True)
            ]
        ]),
    dict(type='PackDetInputs')
]
train_dataloader = dict(
    batch_size=2,
    dataset=dict(filter_cfg=dict(filter_empty_gt=False), pipeline=train_pipeline))

max_epochs = 50
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=max_epochs, val_interval=1)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
param_scheduler = [
    dict(type='CosineAnnealingLR', by_epoch=True, begin=0, end=max_epochs, T_max=max_epochs,
         eta_min=1e-7)
]
auto_scale_lr = dict(base_batch_size=16)
