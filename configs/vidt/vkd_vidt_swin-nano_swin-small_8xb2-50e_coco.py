# V_kD ViDT Swin-nano <- ViDT Swin-small (150 e) on COCO, the teacher of V_kD's vidt/example.sh.
# paper: Table 3, Swin-nano <- Swin-small, V_kD, AP figure unknown (paper not read here)
# differs: teacher checkpoint assumed: ViDT's Swin-small 150 e (48.8 AP), as example.sh
# differs: 8 x 2 images per step (official 6 x 2; example.sh 8 x 2)
# The recipe of ../vidt_swin_nano_vkd.py (the Swin-base row of Table 3) with the Swin-small
# teacher, converted with
#   python tools/convert_vidt_checkpoint.py vidt_small_150.pth \
#       checkpoints/vidt_swin-small_150e_coco.pth
_base_ = ['../vidt_swin_nano_vkd.py']

model = dict(
    teacher='{{fileDirname}}/vidt_swin-small_8xb2-50e_coco.py',
    teacher_ckpt='checkpoints/vidt_swin-small_150e_coco.pth')
