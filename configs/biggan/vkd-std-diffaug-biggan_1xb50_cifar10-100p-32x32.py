# paper: Table 4, CIFAR-10 100 % data, DA + V_kD row (standardisation), FID: not transcribed
# paper: Table 9, CIFAR-10 100 %, standardisation, P/R/density/coverage: not transcribed
# differs: the projector trains with D (the author's sits on G and is never updated)
# The author's snippet (VkD issue #3) puts the projector on G, whose optimiser never updates it;
# here it and the KD head train with D's Adam (no weight decay). The loss line of his GAN runs is
# not published: here KD-DLGAN's 10 x mean L2 distance, in D's steps.
# + V_kD with the teacher features standardised as the author defines it for V_kD (VkD issues
# #2, #3): each CLIP feature layer-normalised over its 512 channels (SampleLayerNorm, no affine);
# otherwise as the vkd-diffaug-* config of the same data.
_base_ = ['./vkd-diffaug-biggan_1xb50_cifar10-100p-32x32.py']

model = dict(teacher_norm=dict(_delete_=True, type='SampleLayerNorm'))
