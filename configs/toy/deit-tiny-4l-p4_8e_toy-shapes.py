# DeiT-Ti width (192, 3 heads) with 4 layers and 4 x 4 patches on the 32 x 32 toy shapes,
# trained alone: the baseline of the toy DeiT distillation. Stock mmpretrain DeiT model.
_base_ = ['./resnet18-w32_12e_toy-shapes.py', '../_base_/distill/no_decay_on_pairs.py']

model = dict(
    _delete_=True,
    type='ImageClassifier',
    backbone=dict(
        type='VisionTransformer',
        arch=dict(embed_dims=192, num_layers=4, num_heads=3, feedforward_channels=768),
        img_size=32,
        patch_size=4),
    neck=None,
    head=dict(
        type='VisionTransformerClsHead',
        num_classes=6,
        in_channels=192,
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0)),
    init_cfg=[
        dict(type='TruncNormal', layer='Linear', std=.02),
        dict(type='Constant', layer='LayerNorm', val=1., bias=0.),
    ],
)

optim_wrapper = dict(
    optimizer=dict(type='AdamW', lr=1e-3, weight_decay=0.05),
    paramwise_cfg=dict(
        norm_decay_mult=0.0,
        bias_decay_mult=0.0,
        custom_keys={{_base_.deit_no_decay}}))
param_scheduler = dict(type='CosineAnnealingLR', by_epoch=True, T_max=8, eta_min=1e-5)
train_cfg = dict(by_epoch=True, max_epochs=8, val_interval=8)
