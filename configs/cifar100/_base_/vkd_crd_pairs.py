# The V_kD terms of the CIFAR-100 (CRD pairs) configs; a leaf sets
# `distill=[{{_base_.vkd_pooled.<student>_<teacher>}}]` and `logit_distill=[{{_base_.kd_logits}}]`.
# V_kD: the student's pooled final feature through the paper's orthogonal projector (exp of a
# skew-symmetric matrix, then a slice), the teacher's pooled final feature under a per-sample
# layer norm, smooth-L1 (beta 1), weight 1. KD: KL between the student's and the teacher's logits
# at T=1, weight 1, as the official ImageNet recipe applies it to its DeiT's distillation head.


def _pooled(student_channels, teacher_channels):
    return dict(
        name='pooled',
        student=dict(path='neck', index=0, channels=student_channels),
        teacher=dict(path='neck', index=0, channels=teacher_channels),
        projector=dict(type='OrthogonalProjector', orthogonal_map='matrix_exp'),
        teacher_norm=dict(type='SampleLayerNorm'),
        loss=dict(type='VkDLoss', mode='smooth_l1', loss_weight=1.0))


vkd_pooled = dict(
    resnet8x4_resnet32x4=_pooled(256, 256),
    wrn_40_1_wrn_40_2=_pooled(64, 128),
    wrn_16_2_wrn_40_2=_pooled(128, 128),
    vgg8_vgg13=_pooled(512, 512),
    mobilenetv2_half_resnet50=_pooled(1280, 2048),
    shufflenetv1_resnet32x4=_pooled(960, 256),
    shufflenetv2_resnet32x4=_pooled(1024, 256))
kd_logits = dict(
    name='logits',
    student=dict(path='head.fc', channels=100),
    teacher=dict(path='head.fc', channels=100),
    loss=dict(type='KLDivergenceLoss', temperature=1.0, loss_weight=1.0))
