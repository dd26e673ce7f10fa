# V_kD on the toy detection set with a larger teacher: the ViDT Swin-nano student of
# ./vkd_vidt_swin-nano_toy-coco.py (the official token pairs, Cholesky-QR map) learns from the
# ViDT Swin-tiny of ./vidt_swin-tiny_toy-coco.py. Set the teacher's weights with
#   --cfg-options model.teacher_ckpt=...
_base_ = ['./vkd_vidt_swin-nano_toy-coco.py']

model = dict(teacher='{{fileDirname}}/vidt_swin-tiny_toy-coco.py')
