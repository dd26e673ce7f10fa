# The teacher of the toy detection distillation: the toy RetinaNet at width 32.
_base_ = ['./retinanet_r18-w16_toy-coco.py']

model = dict(
    backbone=dict(base_channels=32),
    neck=dict(in_channels=[64, 128, 256], out_channels=128),
    bbox_head=dict(in_channels=128, feat_channels=128))
