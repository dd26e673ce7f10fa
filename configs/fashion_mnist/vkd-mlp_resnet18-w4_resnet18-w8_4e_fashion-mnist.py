# Ablation of V_kD: a 2-hidden-layer MLP projector (Linear-BN-ReLU x 2, Linear; hidden
# width 64) instead of the orthogonal one.
_base_ = ['./_base_/distill_resnet18-w4_resnet18-w8.py']

model = dict(
    distill=[
        dict(
            name='pooled',
            student=dict(path='neck', index=0, channels=32),
            teacher=dict(path='neck', index=0, channels=64),
            projector=dict(type='MLPProjector', num_hidden_layers=2),
            teacher_norm=dict(type='SampleLayerNorm'),
            loss=dict(type='VkDLoss', mode='smooth_l1', loss_weight=1.0)),
    ])
