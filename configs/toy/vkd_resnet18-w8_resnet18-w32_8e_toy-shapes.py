# The toy student distilled from the toy teacher with V_kD on the pooled final features:
# orthogonal 64 -> 256 projector (exp of a skew-symmetric matrix, the paper's map), teacher
# features under a per-sample layer norm (the official classification target), smooth-L1.
# Set the teacher's weights with
#   --cfg-options model.teacher_ckpt=work_dirs/<teacher run>/epoch_12.pth
_base_ = ['./resnet18-w8_8e_toy-shapes.py']

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
    distill=[
        dict(
            name='pooled',
            student=dict(path='neck', index=0, channels=64),
            teacher=dict(path='neck', index=0, channels=256),
            projector=dict(type='OrthogonalProjector', orthogonal_map='matrix_exp'),
            teacher_norm=dict(type='SampleLayerNorm'),
            loss=dict(type='VkDLoss', mode='smooth_l1', loss_weight=1.0)),
    ],
)

# The projector keeps orthonormal rows or columns under any weight decay; excluding it anyway
# avoids shrinking a parameter whose scale the map ignores.
optim_wrapper = dict(paramwise_cfg=dict(custom_keys={'projectors': dict(decay_mult=0.0)}))

custom_hooks = [dict(type='ProjectorDiagnosticsHook', interval=10)]
