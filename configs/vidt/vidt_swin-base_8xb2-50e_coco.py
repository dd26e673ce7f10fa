# ViDT Swin-base on COCO: the nano recipe with the Swin-base body (ImageNet-22K weights).
# Official: 49.4 AP (50 epochs).
_base_ = ['./vidt_swin-nano_8xb2-50e_coco.py']

model = dict(
    backbone=dict(
        arch='base',
        init_cfg=dict(
            type='Pretrained',
            checkpoint='checkpoints/swin_base_patch4_window7_224_22k.pth')))
