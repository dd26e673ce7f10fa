# ResNet-50 with a 3 x 3 stem and no max pooling on CIFAR-100, trained alone with the CRD
# schedule. The CRD code's ResNet50 (models/resnetv2.py) is MMPretrain's ResNet_CIFAR of depth 50.
# CRD README (HobbitLong/RepDistiller) top-1: 79.34 %; not measured here.
_base_ = [
    './_base_/cifar100_bs64.py', './_base_/crd_sgd-240e.py', './_base_/default_runtime.py'
]

custom_imports = dict(imports=['vkd_mm'], allow_failed_imports=False)

model = dict(
    type='ImageClassifier',
    backbone=dict(type='ResNet_CIFAR', depth=50, out_indices=(3, ), style='pytorch'),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(
        type='LinearClsHead',
        num_classes=100,
        in_channels=2048,
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0),
        topk=(1, 5)))
