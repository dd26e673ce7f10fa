# Ablation of V_kD: the same orthogonal projector, the teacher's features not normalised.
_base_ = ['./_base_/distill_resnet18-w4_resnet18-w8.py']

model = dict(
    distill=[
        dict(
            name='pooled',
            student=dict(path='neck', index=0, channels=32),
            teacher=dict(path='neck', index=0, channels=64),
            projector=dict(type='OrthogonalProjector', orthogonal_map='matrix_exp'),
            teacher_norm=None,
            loss=dict(type='VkDLoss', mode='smooth_l1', loss_weight=1.0)),
    ])
