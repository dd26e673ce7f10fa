# The DeiT-style pair (the paper's DeiT recipe at small scale): the conv-stem distilled ViT
# student (DeiT distillation head, mean-of-patches distillation token), the ResNet-18 w8
# teacher. Every row keeps DeiT's distillation (the distillation head learns the teacher's
# logits, KL at T=1); the method configs fill in model.distill. The benchmark sets
# model.teacher_ckpt.
_base_ = ['../vit-d64-l4-p7_4e_fashion-mnist.py', './pairs.py']

model = dict(
    _delete_=True,
    type='VkDDistiller',
    student={{_base_.deit_student}},
    teacher={{_base_.teacher_model}},
    teacher_ckpt=None,
    logit_distill=[{{_base_.deit_logit_pair}}])
