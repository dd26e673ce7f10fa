# Ablation of the toy V_kD DeiT config: an unconstrained linear projector.
_base_ = ['./vkd_deit-tiny-4l-p4_resnet18-w32_8e_toy-shapes.py']

model = dict(distill=[
    dict(
        name='repr',
        student=dict(path='backbone.ln1', channels=192, skip_tokens=2, pool='avg'),
        teacher=dict(path='neck', index=0, channels=256),
        projector=dict(type='LinearProjector'),
        teacher_norm=dict(type='SampleLayerNorm'),
        loss=dict(type='VkDLoss', mode='smooth_l1', beta=1.0, loss_weight=1.0)),
])
