# + V_kD from a frozen CLIP ViT-B/32, teacher features not normalised (the V_kD author's
# "no-normalisation" run). The projector and the head train with D's Adam (no weight decay).
_base_ = ['./diffaug-biggan_1xb50_cifar100-10p-32x32.py', './_base_/vkd-teacher_clip-vit-b32.py']

model = dict(
    discriminator={{_base_.vkd_discriminator}},
    teacher={{_base_.clip_teacher}},
    teacher_norm=None,
    kd_loss={{_base_.vkd_loss}},
    kd_steps=('discriminator', ))
