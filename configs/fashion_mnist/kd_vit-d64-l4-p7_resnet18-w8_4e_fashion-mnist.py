# Hinton KD: KL between the tempered logits (T=4, weighted T^2), plus the labels' CE.
_base_ = ['./_base_/distill_vit-d64-l4-p7_resnet18-w8.py']

model = dict(
    logit_distill=[
        dict(
            name='logits',
            student=dict(path='head.layers.head', channels=10),
            teacher=dict(path='head.fc', channels=10),
            loss=dict(type='KLDivergenceLoss', temperature=4.0, loss_weight=1.0)),
    ])
