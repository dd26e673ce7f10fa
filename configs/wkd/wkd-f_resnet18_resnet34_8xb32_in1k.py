# WKD-F from a ResNet-34 to a ResNet-18 on ImageNet, the official setting: last-stage maps
# (512 x 7 x 7), student through the conv bottleneck projector, 4 x 4 grid of per-channel
# Gaussians, mean-term weight 2, loss weight 0.02 with a cosine decay from epoch 0.
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
            name='layer4',
            student=dict(path='backbone', index=0, channels=512),
            teacher=dict(path='backbone', index=0, channels=512),
            projector=dict(type='ConvBottleneckProjector', hidden_channels=256),
            teacher_norm=None,
            loss=dict(type='WKDFeatureLoss', loss_weight=0.02, mean_weight=2.0, grid=4)),
    ])

optim_wrapper = dict(optimizer=dict(nesterov=True))

custom_hooks = [dict(type='CosineLossWeightHook', pairs=['layer4'], start=0)]
