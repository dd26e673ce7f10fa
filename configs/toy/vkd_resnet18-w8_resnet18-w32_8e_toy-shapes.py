# The toy student distilled from the toy teacher with V_kD on the pooled final features:
# orthogonal 64 -> 256 projector (exp of a skew-symmetric matrix, the paper's map), teacher
# features under a per-sample layer norm (the official classification target), smooth-L1.
# Set the teacher's weights with
#   --cfg-options model.teacher_ckpt=work_dirs/<teacher run>/epoch_12.pth
_base_ = [
    './resnet18-w8_8e_toy-shapes.py', '../_base_/distill/vkd_pooled.py',
    '../_base_/distill/no_decay_on_pairs.py'
]

custom_imports = dict(imports=['vkd_mm'], allow_failed_imports=False)


def toy_resnet(width):
    return dict(
        type='ImageClassifier',
        backbone=dict(
            type='ResNet_CIFAR',
            depth=18,
            stem_channels=width,
            base_channels=width,
            out_indices=(3, )),
        neck=dict(type='GlobalAveragePooling'),
        head=dict(
            type='LinearClsHead',
            num_classes=6,
            in_channels=8 * width,
            loss=dict(type='CrossEntropyLoss', loss_weight=1.0),
            topk=(1, )))


model = dict(
    _delete_=True,
    type='VkDDistiller',
    student=toy_resnet(8),
    teacher=toy_resnet(32),
    teacher_ckpt=None,
    distill=[{{_base_.vkd_pooled.toy_resnet}}])

optim_wrapper = dict(paramwise_cfg=dict(custom_keys={{_base_.no_decay_on_pairs}}))

custom_hooks = [dict(type='ProjectorDiagnosticsHook', interval=10)]
