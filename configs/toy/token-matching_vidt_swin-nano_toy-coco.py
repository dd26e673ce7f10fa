# ViDT's own distillation, token matching, on the toy shapes detection set: the student and the
# teacher of ./vkd_vidt_swin-nano_toy-coco.py with the pairs of
# ../_base_/distill/vidt_token_matching.py (no projector, no normalisation; 4 x the square root
# of the summed per-group mean L2 distances, the decoder group x 7). Set the teacher's weights
# with
#   --cfg-options model.teacher_ckpt=...
_base_ = ['./vidt_swin-nano_toy-coco.py', '../_base_/distill/vidt_token_matching.py']

teacher_config = '{{fileDirname}}/vidt_swin-nano_toy-coco.py'

model = dict(
    _delete_=True,
    type='TokenMatchingDistiller',
    loss_weight=4.0,
    student={{_base_.model}},
    teacher=teacher_config,
    teacher_ckpt=None,
    distill={{_base_.vidt_token_matching}})
