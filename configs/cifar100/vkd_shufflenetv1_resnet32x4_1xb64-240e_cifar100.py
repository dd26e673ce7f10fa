# V_kD resnet32x4 -> ShuffleNetV1 on CIFAR-100 with the CRD schedule (240 epochs, batch 64, lr 0.01
# as the CRD code trains this student):
# paper: Table 7, resnet32x4 -> ShuffleNetV1, V_kD, top-1 figure unknown (not read here)
# differs: the official V_kD code has no CIFAR recipe: its ImageNet one is applied (./_base_/vkd_crd_pairs.py)
# differs: the logit KL goes to the student's one head (the official DeiT has a separate
#   distillation head for it)
# differs: the projector is not weight-decayed (the official classification code decays
#   it, which zeroes its Householder parametrisation after one step)
# The V_kD and KD terms: ./_base_/vkd_crd_pairs.py.
# Teacher: resnet32x4_1xb64-240e_cifar100.py; a released CRD / mdistiller teacher converts with
# tools/convert_cifar_checkpoint.py.
_base_ = [
    './shufflenetv1_1xb64-240e_cifar100.py', '../_base_/distill/no_decay_on_pairs.py',
    './_base_/vkd_crd_pairs.py'
]

model = dict(
    _delete_=True,
    type='VkDDistiller',
    student={{_base_.model}},
    teacher='{{fileDirname}}/resnet32x4_1xb64-240e_cifar100.py',
    teacher_ckpt='checkpoints/cifar100/resnet32x4.pth',
    distill=[{{_base_.vkd_pooled.shufflenetv1_resnet32x4}}],
    logit_distill=[{{_base_.kd_logits}}])

optim_wrapper = dict(paramwise_cfg=dict(custom_keys={{_base_.no_decay_on_pairs}}))
