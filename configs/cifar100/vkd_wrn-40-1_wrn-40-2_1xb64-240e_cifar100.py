# V_kD WRN-40-2 -> WRN-40-1 on CIFAR-100 with the CRD schedule (240 epochs, batch 64):
# paper: Table 7, WRN-40-2 -> WRN-40-1, V_kD, top-1 figure unknown (not read here)
# differs: the official V_kD code has no CIFAR recipe: its ImageNet one is applied (./_base_/vkd_crd_pairs.py)
# differs: the logit KL goes to the student's one head (the official DeiT has a separate
#   distillation head for it)
# differs: the projector is not weight-decayed (the official classification code decays
#   it, which zeroes its Householder parametrisation after one step)
# The V_kD and KD terms: ./_base_/vkd_crd_pairs.py.
# Teacher: wrn-40-2_1xb64-240e_cifar100.py; a released CRD / mdistiller teacher converts with
# tools/convert_cifar_checkpoint.py.
_base_ = [
    './wrn-40-1_1xb64-240e_cifar100.py', '../_base_/distill/no_decay_on_pairs.py',
    './_base_/vkd_crd_pairs.py'
]

model = dict(
    _delete_=True,
    type='VkDDistiller',
    student={{_base_.model}},
    teacher='{{fileDirname}}/wrn-40-2_1xb64-240e_cifar100.py',
    teacher_ckpt='checkpoints/cifar100/wrn-40-2.pth',
    distill=[{{_base_.vkd_pooled.wrn_40_1_wrn_40_2}}],
    logit_distill=[{{_base_.kd_logits}}])

optim_wrapper = dict(paramwise_cfg=dict(custom_keys={{_base_.no_decay_on_pairs}}))
