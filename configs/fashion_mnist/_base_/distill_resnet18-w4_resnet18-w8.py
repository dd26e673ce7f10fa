# The CNN -> CNN pair: ResNet-18 w4 student, ResNet-18 w8 teacher. The method configs fill in
# model.distill (pooled final features: 32-d student, 64-d teacher) and/or
# model.logit_distill (the 10 logits). The benchmark sets model.teacher_ckpt.
_base_ = ['../resnet18-w4_4e_fashion-mnist.py', './pairs.py']

model = dict(
    _delete_=True,
    type='VkDDistiller',
    student={{_base_.resnet_student}},
    teacher={{_base_.teacher_model}},
    teacher_ckpt=None)
