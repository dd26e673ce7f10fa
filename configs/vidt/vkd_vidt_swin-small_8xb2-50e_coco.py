# V_kD ViDT Swin-small <- ViDT Swin-base (150 e) on COCO.
# paper: Table 2, Swin-small, V_kD, AP 48.5 (47.5 without)
# differs: 8 x 2 images per step (official 6 x 2)
# differs: teacher assumed: the official README names none for this student; Swin-base 150 e
# The Swin-nano V_kD recipe of ../vidt_swin_nano_vkd.py (the official detection
# code's token pairs, orthogonal 256 -> 256 projectors with the paper's map, batch
# standardisation, smooth-L1 x 4) with the student body of ./vidt_swin-small_8xb2-50e_coco.py.
# Teacher as for Swin-nano; neither the paper nor the official README names one per student
# (the official vidt/example.sh uses a Swin-small one).
#
#   tools/dist_train.sh configs/vidt/vkd_vidt_swin-small_8xb2-50e_coco.py 8
#   tools/test.py configs/vidt/vidt_swin-small_8xb2-50e_coco.py work_dirs/.../student.pth
_base_ = ['../vidt_swin_nano_vkd.py']

model = dict(
    student=dict(
        backbone=dict(
            arch='small',
            init_cfg=dict(
                type='Pretrained',
                checkpoint='checkpoints/swin_small_patch4_window7_224.pth'))))
