# V_kD on the toy shapes detection set: a ViDT Swin-nano student learns from a ViDT Swin-nano
# teacher trained for longer (configs/toy/vidt_swin-nano_toy-coco.py), with the token pairs of
# the official detection code, their orthogonal projectors parameterised by the CPU-cheaper
# Cholesky-QR map. Set the teacher's weights with
#   --cfg-options model.teacher_ckpt=...
_base_ = ['./vidt_swin-nano_toy-coco.py', '../_base_/distill/vidt_vkd_tokens.py']

teacher_config = '{{fileDirname}}/vidt_swin-nano_toy-coco.py'

model = dict(
    _delete_=True,
    type='VkDDistiller',
    student={{_base_.model}},
    teacher=teacher_config,
    teacher_ckpt=None,
    distill={{_base_.vidt_vkd_tokens_cholesky_qr}})

optim_wrapper = dict(paramwise_cfg=dict(custom_keys={{_base_.no_decay_on_pairs}}))
