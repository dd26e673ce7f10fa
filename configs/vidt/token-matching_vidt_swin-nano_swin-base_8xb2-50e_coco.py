# ViDT's token matching, ViDT Swin-nano <- ViDT Swin-base (150 e) on COCO: Table 3's baseline.
# paper: Table 3, Swin-nano <- Swin-base, token matching, AP figure unknown (paper not read here)
# differs: teacher Swin-base 150 e (50.4 AP) as in V_kD; ViDT's row (41.8 AP) had the 50 e one
# differs: 8 x 2 images per step, as ViDT's runs (V_kD's README runs: 6 x 2)
# ViDT's own distillation (configs/_base_/distill/vidt_token_matching.py): the V_kD token pairs
# without projectors or normalisation, per group the mean L2 distance between tokens, the
# decoder group x 7, then 4 x the square root of the sum (TokenMatchingDistiller). For ViDT's
# own 50-epoch teacher (49.4 AP): --cfg-options model.teacher_ckpt=<converted vidt_base_50.pth>
#
#   tools/dist_train.sh configs/vidt/token-matching_vidt_swin-nano_swin-base_8xb2-50e_coco.py 8
#   tools/test.py configs/vidt/vidt_swin-nano_8xb2-50e_coco.py work_dirs/.../student.pth
_base_ = ['./vidt_swin-nano_8xb2-50e_coco.py', '../_base_/distill/vidt_token_matching.py']

model = dict(
    _delete_=True,
    type='TokenMatchingDistiller',
    loss_weight=4.0,
    student={{_base_.model}},
    teacher='{{fileDirname}}/vidt_swin-base_8xb2-50e_coco.py',
    teacher_ckpt='checkpoints/vidt_swin-base_150e_coco.pth',
    distill={{_base_.vidt_token_matching}})
