# V_kD ViDT Swin-nano <- ViDT Swin-base (150 e) on COCO, the official detection code's setting.
# paper: Table 2, Swin-nano, V_kD, AP 43.0 (40.4 without)
# paper: Table 3, Swin-nano <- Swin-base, V_kD, AP figure unknown (not read here)
# differs: 8 x 2 images per step (official 6 x 2)
# The token pairs are in _base_/distill/vidt_vkd_tokens.py.
# The paper's alternatives are a line each there: VkDLoss(mode='mse') for an L2 loss,
# teacher_norm=dict(type='BatchWhiten') or dict(type='SampleLayerNorm'), and the cheaper
# orthogonal_map='cholesky_qr' (same orthonormal image, not the paper's map).
# Swin-tiny and Swin-small students: configs/vidt/vkd_vidt_swin-{tiny,small}_8xb2-50e_coco.py.
#
#   tools/dist_train.sh configs/vidt_swin_nano_vkd.py 2
#   tools/test.py configs/vidt/vidt_swin-nano_8xb2-50e_coco.py work_dirs/.../student.pth
#
# The teacher: the official vidt_base_150.pth (50.4 AP) converted with
#   python tools/convert_vidt_checkpoint.py vidt_base_150.pth \
#       checkpoints/vidt_swin-base_150e_coco.pth
_base_ = ['./vidt/vidt_swin-nano_8xb2-50e_coco.py', './_base_/distill/vidt_vkd_tokens.py']

teacher_config = '{{fileDirname}}/vidt/vidt_swin-base_8xb2-50e_coco.py'
teacher_ckpt = 'checkpoints/vidt_swin-base_150e_coco.pth'

model = dict(
    _delete_=True,
    type='VkDDistiller',
    student={{_base_.model}},
    teacher=teacher_config,
    teacher_ckpt=teacher_ckpt,
    distill={{_base_.vidt_vkd_tokens}})

optim_wrapper = dict(paramwise_cfg=dict(custom_keys={{_base_.no_decay_on_pairs}}))
