# Student of the toy demo trained alone: a ResNet-18 of width 8.
_base_ = ['./resnet18-w32_4e_toy-shapes.py']

model = dict(
    backbone=dict(stem_channels=8, base_channels=8),
    head=dict(in_channels=64),
)
