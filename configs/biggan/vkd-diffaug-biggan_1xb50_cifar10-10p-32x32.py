# + V_kD (author's 'no-normalisation' run), CIFAR-10 10 %; differs: the projector trains with D.
# The author's snippet (VkD issue #3) puts the projector on G, whose optimiser never updates it;
# here it and the KD head train with D's Adam (no weight decay). Loss: 10 x mean L2 distance.
_base_ = ['./diffaug-biggan_1xb50_cifar10-10p-32x32.py', './_base_/vkd-teacher_clip-vit-b32.py']

model = {{_base_.vkd_model}}
