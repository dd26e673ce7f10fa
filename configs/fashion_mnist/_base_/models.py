# The Fashion-MNIST models, 1-channel 28 x 28 input, 10 classes. The configs of this folder take
# them as {{_base_.<name>}}. Teacher: ResNet-18 (CIFAR stem) of width 8, 64-d pooled features.
# CNN student: the same net at width 4 (32-d). ViT student: a DeiT-style ViT with 64-d tokens,
# 2 heads, 4 layers, 7 x 7 patches (16 patch tokens + a class token). DeiT-style student: the
# official V_kD student scaled to 28 x 28 (the conv stem of ConvStemDistilledViT at stride 1 with
# a 7 x 7 projection, so the same 16 patch tokens; a mean-of-patches distillation token; a class
# head on the labels and a distillation head for the teacher, averaged at inference), with the
# ViT student's transformer.


def _resnet(width):
    return dict(
        type='ImageClassifier',
        backbone=dict(
            type='ResNet_CIFAR',
            depth=18,
            in_channels=1,
            stem_channels=width,
            base_channels=width,
            out_indices=(3, )),
        neck=dict(type='GlobalAveragePooling'),
        head=dict(
            type='LinearClsHead',
            num_classes=10,
            in_channels=8 * width,
            loss=dict(type='CrossEntropyLoss', loss_weight=1.0),
            topk=(1, )))


teacher_model = _resnet(8)
resnet_student = _resnet(4)
vit_arch = dict(embed_dims=64, num_layers=4, num_heads=2, feedforward_channels=256)
vit_init_cfg = [
    dict(type='TruncNormal', layer='Linear', std=.02),
    dict(type='Constant', layer='LayerNorm', val=1., bias=0.),
]
vit_student = dict(
    type='ImageClassifier',
    backbone=dict(
        type='VisionTransformer', arch=vit_arch, img_size=28, patch_size=7, in_channels=1),
    neck=None,
    head=dict(
        type='VisionTransformerClsHead',
        num_classes=10,
        in_channels=64,
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0)),
    init_cfg=vit_init_cfg)
deit_student = dict(
    type='ImageClassifier',
    backbone=dict(
        type='ConvStemDistilledViT',
        arch=vit_arch,
        img_size=28,
        patch_size=7,
        stem_stride=1,
        stem_channels=16,
        in_channels=1),
    neck=None,
    head=dict(
        type='DeiTDistillHead',
        num_classes=10,
        in_channels=64,
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0)),
    init_cfg=vit_init_cfg)
