# The ViT <- CNN pair (the paper's cross-architecture case): the 4-layer ViT student, the
# ResNet-18 w8 teacher. The method configs fill in model.distill (student: the mean of the 16
# patch tokens after the last norm, 64-d; teacher: pooled final features, 64-d) and/or
# model.logit_distill (the 10 logits of the class-token head). The benchmark sets
# model.teacher_ckpt.
_base_ = ['../vit-d64-l4-p7_4e_fashion-mnist.py', './pairs.py']

model = dict(
    _delete_=True,
    type='VkDDistiller',
    student={{_base_.vit_student}},
    teacher={{_base_.teacher_model}},
    teacher_ckpt=None)
