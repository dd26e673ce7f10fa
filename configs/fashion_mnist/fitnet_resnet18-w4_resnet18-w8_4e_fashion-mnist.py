# FitNet on the pooled final features: an unconstrained linear projector, no
# normalisation of the teacher, squared L2 (mean over channels).
_base_ = ['./_base_/distill_resnet18-w4_resnet18-w8.py']

model = dict(
    distill=[
        dict(
            name='pooled',
            student=dict(path='neck', index=0, channels=32),
            teacher=dict(path='neck', index=0, channels=64),
            projector=dict(type='LinearProjector'),
            teacher_norm=None,
            loss=dict(type='VkDLoss', mode='mse', loss_weight=1.0)),
    ])
