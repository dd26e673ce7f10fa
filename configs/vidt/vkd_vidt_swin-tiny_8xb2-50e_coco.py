# V_kD ViDT Swin-tiny <- ViDT Swin-base (150 e) on COCO.
# paper: Table 2, Swin-tiny, V_kD, AP 46.9
# differs: 8 x 2 images per step (official 6 x 2)
# The Swin-nano V_kD recipe of ../vidt_swin_nano_vkd.py (the official detection
# code's token pairs, orthogonal 256 -> 256 projectors with the paper's map, batch
# standardisation, smooth-L1 x 4) with the student body of ./vidt_swin-tiny_8xb2-50e_coco.py.
# Teacher as for Swin-nano; the paper does not name one per student (the official
# vidt/example.sh uses a Swin-small one).
#
#   tools/dist_train.sh configs/vidt/vkd_vidt_swin-tiny_8xb2-50e_coco.py 8
#   tools/test.py configs/vidt/vidt_swin-tiny_8xb2-50e_coco.py work_dirs/.../student.pth
_base_ = ['../vidt_swin_nano_vkd.py']

model = dict(
    student=dict(
        backbone=dict(
            arch='tiny',
            init_cfg=dict(
                type='Pretrained',
                checkpoint='checkpoints/swin_tiny_patch4_window7_224.pth'))))
