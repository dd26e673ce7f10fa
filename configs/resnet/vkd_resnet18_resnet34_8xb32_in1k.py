# V_kD from a ResNet-34 to a ResNet-18 on ImageNet, over the stock MMPretrain configs (stock
# schedule: SGD 0.1, steps at 30/60/90, 100 epochs, batch 256): the pooled final features,
# 512 -> 512 through an orthogonal projector, teacher standardised over the batch, smooth-L1.
# Point teacher_ckpt at ResNet-34 weights before training.
# The projector uses the Cholesky-QR map: exactly orthonormal like the paper's exp-then-slice
# (orthogonal_map='matrix_exp'), at a fraction of its cost (benchmarks/bench_projectors.py).
_base_ = ['mmpretrain::resnet/resnet18_8xb32_in1k.py']

custom_imports = dict(imports=['vkd_mm'], allow_failed_imports=False)

model = dict(
    _delete_=True,
    type='VkDDistiller',
    student={{_base_.model}},
    teacher='mmpretrain::resnet/resnet34_8xb32_in1k.py',
    teacher_ckpt='checkpoints/resnet34_8xb32_in1k.pth',
    distill=[
        dict(
            name='pooled',
            student=dict(path='neck', index=0, channels=512),
            teacher=dict(path='neck', index=0, channels=512),
            projector=dict(type='OrthogonalProjector', orthogonal_map='cholesky_qr'),
            teacher_norm=dict(type='BatchStandardize'),
            loss=dict(type='VkDLoss', mode='smooth_l1', loss_weight=1.0)),
    ])

optim_wrapper = dict(paramwise_cfg=dict(custom_keys={'projectors': dict(decay_mult=0.0)}))

custom_hooks = [dict(type='ProjectorDiagnosticsHook', interval=50)]
