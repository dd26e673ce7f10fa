# V_kD WRN-40-2 -> WRN-40-1 on CIFAR-100 with the CRD schedule (240 epochs, batch 64):
# paper: Table 7, WRN-40-2 -> WRN-40-1, V_kD, top-1 figure unknown (not read here)
# differs: the official V_kD code has no CIFAR recipe: its ImageNet one is applied (below)
# differs: the logit KL goes to the student's one head (the official DeiT has a separate
#   distillation head for it)
# differs: the projector is not weight-decayed (the official classification code decays
#   it, which zeroes its Householder parametrisation after one step)
# - V_kD: the student's pooled final feature (64-d) through the paper's orthogonal projector (exp of
#   a skew-symmetric matrix, then a slice; orthonormal columns, 64 -> 128), the teacher's pooled
#   final feature (128-d) under a per-sample layer norm, smooth-L1 (beta 1), weight 1;
# - KD: KL between the student's and the teacher's logits at T=1, weight 1, as the official ImageNet
#   recipe applies it to its DeiT's distillation head (a CNN student has one head, which also takes
#   the cross-entropy).
# Teacher: wrn-40-2_1xb64-240e_cifar100.py; a released CRD / mdistiller teacher converts with
# tools/convert_cifar_checkpoint.py.
_base_ = ['./wrn-40-1_1xb64-240e_cifar100.py', '../_base_/distill/no_decay_on_pairs.py']

model = dict(
    _delete_=True,
    type='VkDDistiller',
    student={{_base_.model}},
    teacher='{{fileDirname}}/wrn-40-2_1xb64-240e_cifar100.py',
    teacher_ckpt='checkpoints/cifar100/wrn-40-2.pth',
    distill=[
        dict(
            name='pooled',
            student=dict(path='neck', index=0, channels=64),
            teacher=dict(path='neck', index=0, channels=128),
            projector=dict(type='OrthogonalProjector', orthogonal_map='matrix_exp'),
            teacher_norm=dict(type='SampleLayerNorm'),
            loss=dict(type='VkDLoss', mode='smooth_l1', loss_weight=1.0)),
    ],
    logit_distill=[
        dict(
            name='logits',
            student=dict(path='head.fc', channels=100),
            teacher=dict(path='head.fc', channels=100),
            loss=dict(type='KLDivergenceLoss', temperature=1.0, loss_weight=1.0)),
    ])

optim_wrapper = dict(paramwise_cfg=dict(custom_keys={{_base_.no_decay_on_pairs}}))
