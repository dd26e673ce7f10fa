# MobileNetV2 at width 0.5, expansion 6 (CRD code: MobileNetV2 = mobile_half) on CIFAR-100, trained
# alone with the CRD schedule.
# CRD README (HobbitLong/RepDistiller) top-1: 64.60 %; not measured here.
# lr 0.01: the CRD code trains MobileNetV2 and the ShuffleNets at 0.01.
_base_ = [
    './_base_/cifar100_bs64.py', './_base_/crd_sgd-240e.py', './_base_/default_runtime.py'
]

custom_imports = dict(imports=['vkd_mm'], allow_failed_imports=False)

model = dict(
    type='ImageClassifier',
    backbone=dict(type='CifarMobileNetV2', expand_ratio=6, widen_factor=0.5),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(
        type='LinearClsHead',
        num_classes=100,
        in_channels=1280,
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0),
        topk=(1, 5)))

optim_wrapper = dict(optimizer=dict(lr=0.01))
