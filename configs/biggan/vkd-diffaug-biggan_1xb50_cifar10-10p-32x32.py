# paper: Table 9, CIFAR-10 10 %, none, P/R/density/coverage: not transcribed
# differs: the projector trains with D (the author's sits on G and is never updated)
# The author's snippet (VkD issue #3) puts the projector on G, whose optimiser never updates it;
# here it and the KD head train with D's Adam (no weight decay). The loss line of his GAN runs is
# not published: here KD-DLGAN's 10 x mean L2 distance, in D's steps.
# + V_kD with the teacher features as they are (the author's 'no-normalisation' run): a frozen
# CLIP ViT-B/32 teacher; D's 512-d embedding through an orthogonal projector.
_base_ = ['./diffaug-biggan_1xb50_cifar10-10p-32x32.py', './_base_/vkd-teacher_clip-vit-b32.py']

model = {{_base_.vkd_model}}
