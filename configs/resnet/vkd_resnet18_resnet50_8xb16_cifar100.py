# V_kD on CIFAR-100 from mmpretrain's CIFAR ResNet-50 to a CIFAR ResNet-18 (stock schedule of
# resnet50_8xb16_cifar100: SGD 0.1, wd 5e-4, steps at 60/120/160 with gamma 0.2, 200 epochs):
# pooled final features 512 -> 2048 through an orthogonal projector, teacher standardised over
# the batch, smooth-L1. Point teacher_ckpt at a trained CIFAR-100 ResNet-50.
# The projector uses the Cholesky-QR map: exactly orthonormal like the paper's exp-then-slice
# (orthogonal_map='matrix_exp'), at a fraction of its cost (benchmarks/bench_projectors.py).
_base_ = [
    'mmpretrain::resnet/resnet50_8xb16_cifar100.py', '../_base_/distill/no_decay_on_pairs.py'
]

custom_imports = dict(imports=['vkd_mm'], allow_failed_imports=False)

model = dict(
    _delete_=True,
    type='VkDDistiller',
    student=dict(
        type='ImageClassifier',
        backbone=dict(type='ResNet_CIFAR', depth=18, num_stages=4, out_indices=(3, ),
                      style='pytorch'),
        neck=dict(type='GlobalAveragePooling'),
        head=dict(type='LinearClsHead', num_classes=100, in_channels=512,
                  loss=dict(type='CrossEntropyLoss', loss_weight=1.0))),
    teacher='mmpretrain::resnet/resnet50_8xb16_cifar100.py',
    teacher_ckpt='checkpoints/resnet50_8xb16_cifar100.pth',
    distill=[
        dict(
            name='pooled',
            student=dict(path='neck', index=0, channels=512),
            teacher=dict(path='neck', index=0, channels=2048),
            projector=dict(type='OrthogonalProjector', orthogonal_map='cholesky_qr'),
            teacher_norm=dict(type='BatchStandardize'),
            loss=dict(type='VkDLoss', mode='smooth_l1', loss_weight=1.0)),
    ])

optim_wrapper = dict(paramwise_cfg=dict(custom_keys={{_base_.no_decay_on_pairs}}))
