# Ablation of V_kD: an unconstrained linear projector instead of the orthogonal one.
_base_ = ['./_base_/distill_vit-d64-l4-p7_resnet18-w8.py']

model = dict(
    distill=[
        dict(
            name='pooled',
            student=dict(path='backbone.ln1', channels=64, skip_tokens=1, pool='avg'),
            teacher=dict(path='neck', index=0, channels=64),
            projector=dict(type='LinearProjector'),
            teacher_norm=dict(type='SampleLayerNorm'),
            loss=dict(type='VkDLoss', mode='smooth_l1', loss_weight=1.0)),
    ])
