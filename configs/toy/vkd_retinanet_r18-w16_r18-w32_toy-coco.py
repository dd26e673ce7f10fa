# V_kD between two stock mmdet detectors on the toy shapes: the width-16 RetinaNet student
# learns from a width-32 teacher on every FPN level, as the official detection code does for
# ViDT's patch tokens: orthogonal 64 -> 128 projectors (exp of a skew-symmetric matrix) with
# both sides standardised per channel over the batch, smooth-L1. Set the teacher's weights with
#   --cfg-options model.teacher_ckpt=...
_base_ = ['./retinanet_r18-w16_toy-coco.py', '../_base_/distill/no_decay_on_pairs.py']

custom_imports = dict(imports=['vkd_mm'], allow_failed_imports=False)

teacher_config = '{{fileDirname}}/retinanet_r18-w32_toy-coco.py'


def fpn_level(level):
    return dict(
        name=f'p{level + 3}',
        student=dict(path='neck', index=level, channels=64),
        teacher=dict(path='neck', index=level, channels=128),
        projector=dict(type='OrthogonalProjector', orthogonal_map='matrix_exp'),
        teacher_norm=dict(type='BatchStandardize'),
        student_norm=dict(type='BatchStandardize'),
        loss=dict(type='VkDLoss', mode='smooth_l1', loss_weight=1.0))


model = dict(
    _delete_=True,
    type='VkDDistiller',
    student={{_base_.model}},
    teacher=teacher_config,
    teacher_ckpt=None,
    distill=[fpn_level(0), fpn_level(1), fpn_level(2)])

optim_wrapper = dict(paramwise_cfg=dict(custom_keys={{_base_.no_decay_on_pairs}}))
