# V_kD from a ResNet-50 to a ResNet-18 on ImageNet, written over the stock MMPretrain configs:
# the example of README.md. Point teacher_ckpt at ResNet-50 weights before training.
_base_ = ['mmpretrain::resnet/resnet18_8xb32_in1k.py']

custom_imports = dict(imports=['vkd_mm'], allow_failed_imports=False)

model = dict(
    _delete_=True,
    type='VkDDistiller',
    student={{_base_.model}},
    teacher='mmpretrain::resnet/resnet50_8xb32_in1k.py',
    teacher_ckpt='checkpoints/resnet50_8xb32_in1k.pth',
    distill=[
        dict(
            name='c5',
            student=dict(path='neck', index=0, channels=512),
            teacher=dict(path='neck', index=0, channels=2048),
            projector=dict(type='OrthogonalProjector', orthogonal_map='matrix_exp'),
            teacher_norm=dict(type='BatchStandardize'),
            loss=dict(type='VkDLoss', mode='smooth_l1', loss_weight=1.0)),
    ])

optim_wrapper = dict(paramwise_cfg=dict(custom_keys={'projectors': dict(decay_mult=0.0)}))

custom_hooks = [dict(type='ProjectorDiagnosticsHook', interval=50)]
