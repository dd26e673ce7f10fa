# ViDT's own distillation, token matching, on the toy detection set with a larger teacher: the
# ViDT Swin-nano student of ./token-matching_vidt_swin-nano_toy-coco.py learns from the ViDT
# Swin-tiny of ./vidt_swin-tiny_toy-coco.py. Set the teacher's weights with
#   --cfg-options model.teacher_ckpt=...
_base_ = ['./token-matching_vidt_swin-nano_toy-coco.py']

model = dict(teacher='{{fileDirname}}/vidt_swin-tiny_toy-coco.py')
