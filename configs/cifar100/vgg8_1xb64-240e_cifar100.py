# VGG8 with batch norm (CRD code: vgg8) on CIFAR-100, trained alone with the CRD schedule.
# CRD README (HobbitLong/RepDistiller) top-1: 70.36 %; not measured here.
_base_ = [
    './_base_/cifar100_bs64.py', './_base_/crd_sgd-240e.py', './_base_/default_runtime.py'
]

custom_imports = dict(imports=['vkd_mm'], allow_failed_imports=False)

model = dict(
    type='ImageClassifier',
    backbone=dict(type='CifarVGG', arch='vgg8'),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(
        type='LinearClsHead',
        num_classes=100,
        in_channels=512,
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0),
        topk=(1, 5)))
