# Student of the toy demo trained alone: a ResNet-18 of width 8.
_base_ = ['./resnet18-w32_12e_toy-shapes.py']

model = dict(
    backbone=dict(stem_channels=8, base_channels=8),
    head=dict(in_channels=64),
)

param_scheduler = dict(type='CosineAnnealingLR', by_epoch=True, T_max=8, eta_min=1e-5)
train_cfg = dict(by_epoch=True, max_epochs=8, val_interval=8)
