# ViDT Swin-tiny on COCO: the nano recipe with the Swin-tiny body (ImageNet-1K weights).
# Official: 44.9 AP (50 epochs).
_base_ = ['./vidt_swin-nano_8xb2-50e_coco.py']

model = dict(
    backbone=dict(
        arch='tiny',
        init_cfg=dict(
            type='Pretrained',
            checkpoint='checkpoints/swin_tiny_patch4_window7_224.pth')))
