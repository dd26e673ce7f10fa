# Ablation of the toy V_kD config: the same pair through an unconstrained linear projector
# (the paper's Fig. 5 baseline).
_base_ = ['./vkd_resnet18-w8_resnet18-w32_8e_toy-shapes.py']

model = dict(distill=[
    dict(
        name='pooled',
        student=dict(path='neck', index=0, channels=64),
        teacher=dict(path='neck', index=0, channels=256),
        projector=dict(type='LinearProjector'),
        teacher_norm=dict(type='SampleLayerNorm'),
        loss=dict(type='VkDLoss', mode='smooth_l1', loss_weight=1.0)),
])
