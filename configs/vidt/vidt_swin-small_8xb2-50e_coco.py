# ViDT Swin-small on COCO: the nano recipe with the Swin-small body (ImageNet-1K weights).
# Official: 47.4 AP (50 epochs).
_base_ = ['./vidt_swin-nano_8xb2-50e_coco.py']

model = dict(
    backbone=dict(
        arch='small',
        init_cfg=dict(
            type='Pretrained',
            checkpoint='checkpoints/swin_small_patch4_window7_224.pth')))
