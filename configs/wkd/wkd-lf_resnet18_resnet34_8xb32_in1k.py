# WKD-L and WKD-F together, the official ImageNet ResNet-34 -> ResNet-18 setting: gamma 10,
# feature weight 1.0 (sic, 50x the WKD-F-only weight), both decayed with a cosine.
_base_ = ['./wkd-l_resnet18_resnet34_8xb32_in1k.py']

model = dict(
    logit_distill=[
        dict(
            name='logits',
            student=dict(path='head.fc', channels=1000),
            teacher=dict(path='head.fc', channels=1000),
            loss=dict(
                type='WKDLogitLoss',
                cost_matrix='data/wkd_cost_matrix/imagenet/ResNet34/logit_linear_cka.pth',
                temperature=2.0,
                loss_weight=10.0,
                sinkhorn_eps=0.05,
                sinkhorn_iters=10,
                sharpen=1.0)),
    ],
    distill=[
        dict(
            name='layer4',
            student=dict(path='backbone', index=0, channels=512),
            teacher=dict(path='backbone', index=0, channels=512),
            projector=dict(type='ConvBottleneckProjector', hidden_channels=256),
            teacher_norm=None,
            loss=dict(type='WKDFeatureLoss', loss_weight=1.0, mean_weight=2.0, grid=4)),
    ])

custom_hooks = [dict(type='CosineLossWeightHook', pairs=['logits', 'layer4'], start=0)]
