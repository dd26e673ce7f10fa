# ViDT's token matching, ViDT Swin-nano <- ViDT Swin-small (150 e) on COCO: Table 3's baseline.
# paper: Table 3, Swin-nano <- Swin-small, token matching, AP figure unknown (paper not read here)
# differs: teacher checkpoint assumed: ViDT's Swin-small 150 e (48.8 AP), as V_kD's example.sh
# differs: 8 x 2 images per step, as ViDT's runs (V_kD's README runs: 6 x 2)
# The Swin-base row's recipe (./token-matching_vidt_swin-nano_swin-base_8xb2-50e_coco.py) with
# the Swin-small teacher, converted with
#   python tools/convert_vidt_checkpoint.py vidt_small_150.pth \
#       checkpoints/vidt_swin-small_150e_coco.pth
_base_ = ['./token-matching_vidt_swin-nano_swin-base_8xb2-50e_coco.py']

model = dict(
    teacher='{{fileDirname}}/vidt_swin-small_8xb2-50e_coco.py',
    teacher_ckpt='checkpoints/vidt_swin-small_150e_coco.pth')
