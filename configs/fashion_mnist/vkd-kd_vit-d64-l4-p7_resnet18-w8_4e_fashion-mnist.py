# V_kD plus Hinton KD on the logits (T=4).
_base_ = ['./_base_/distill_vit-d64-l4-p7_resnet18-w8.py']

model = dict(
    distill=[
        dict(
            name='pooled',
            student=dict(path='backbone.ln1', channels=64, skip_tokens=1, pool='avg'),
            teacher=dict(path='neck', index=0, channels=64),
            projector=dict(type='OrthogonalProjector', orthogonal_map='matrix_exp'),
            teacher_norm=dict(type='SampleLayerNorm'),
            loss=dict(type='VkDLoss', mode='smooth_l1', loss_weight=1.0)),
    ],
    logit_distill=[
        dict(
            name='logits',
            student=dict(path='head.layers.head', channels=10),
            teacher=dict(path='head.fc', channels=10),
            loss=dict(type='KLDivergenceLoss', temperature=4.0, loss_weight=1.0)),
    ])
