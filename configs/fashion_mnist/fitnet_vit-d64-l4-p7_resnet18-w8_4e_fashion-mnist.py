# FitNet on the pooled final features: an unconstrained linear projector, no
# normalisation of the teacher, squared L2 (mean over channels).
_base_ = ['./_base_/distill_vit-d64-l4-p7_resnet18-w8.py']

model = dict(
    distill=[
        dict(
            name='pooled',
            student=dict(path='backbone.ln1', channels=64, skip_tokens=1, pool='avg'),
            teacher=dict(path='neck', index=0, channels=64),
            projector=dict(type='LinearProjector'),
            teacher_norm=None,
            loss=dict(type='VkDLoss', mode='mse', loss_weight=1.0)),
    ])
