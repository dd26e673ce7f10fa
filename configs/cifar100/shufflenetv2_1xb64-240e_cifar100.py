# ShuffleNetV2 1.0x (CRD code: ShuffleV2) on CIFAR-100, trained alone with the CRD schedule.
# CRD README (HobbitLong/RepDistiller) top-1: 71.82 %; not measured here.
# lr 0.01: the CRD code trains MobileNetV2 and the ShuffleNets at 0.01.
_base_ = [
    './_base_/cifar100_bs64.py', './_base_/crd_sgd-240e.py', './_base_/default_runtime.py'
]

custom_imports = dict(imports=['vkd_mm'], allow_failed_imports=False)

model = dict(
    type='ImageClassifier',
    backbone=dict(type='CifarShuffleNetV2', arch='1.0x'),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(
        type='LinearClsHead',
        num_classes=100,
        in_channels=1024,
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0),
        topk=(1, 5)))

optim_wrapper = dict(optimizer=dict(lr=0.01))
