# ViDT Swin-tiny on the toy detection set: the larger teacher of the Swin-nano students (a wider
# Swin body teaching Swin-nano, as in the paper's detection experiments). The recipe of
# ./vidt_swin-nano_toy-coco.py with the Swin-tiny body (96-d, depths 2-2-6-2), random initial
# weights; the neck and head are the nano's, so the 256-d tokens the distillers pair have the
# same size on both sides.
_base_ = ['./vidt_swin-nano_toy-coco.py']

model = dict(backbone=dict(arch='tiny'))
