# The toy DeiT distilled from the toy ResNet teacher with the V_kD DeiT recipe: class head on
# the labels, distillation head on the teacher's logits (KL, T=1), pooled patch tokens through
# an orthogonal 192 -> 256 projector against the teacher's pooled features under a per-sample
# layer norm. Set the teacher's weights with --cfg-options model.teacher_ckpt=...
_base_ = ['./deit-tiny-4l-p4_8e_toy-shapes.py', '../_base_/distill/vkd_pooled.py']

custom_imports = dict(imports=['vkd_mm'], allow_failed_imports=False)

model = dict(
    _delete_=True,
    type='VkDDistiller',
    student=dict(
        type='ImageClassifier',
        backbone=dict(
            type='DistilledVisionTransformer',
            arch=dict(embed_dims=192, num_layers=4, num_heads=3, feedforward_channels=768),
            img_size=32,
            patch_size=4),
        neck=None,
        head=dict(
            type='DeiTDistillHead',
            num_classes=6,
            in_channels=192,
            loss=dict(type='CrossEntropyLoss', loss_weight=1.0)),
        init_cfg=[
            dict(type='TruncNormal', layer='Linear', std=.02),
            dict(type='Constant', layer='LayerNorm', val=1., bias=0.),
        ]),
    teacher=dict(
        type='ImageClassifier',
        backbone=dict(type='ResNet_CIFAR', depth=18, stem_channels=32, base_channels=32,
                      out_indices=(3, )),
        neck=dict(type='GlobalAveragePooling'),
        head=dict(type='LinearClsHead', num_classes=6, in_channels=256,
                  loss=dict(type='CrossEntropyLoss', loss_weight=1.0))),
    teacher_ckpt=None,
    distill=[{{_base_.vkd_pooled.toy_deit}}],
    logit_distill=[
        dict(
            name='dist',
            student=dict(path='head.layers.head_dist', channels=6),
            teacher=dict(path='head.fc', channels=6),
            loss=dict(type='KLDivergenceLoss', temperature=1.0, loss_weight=1.0)),
    ])
