# paper: Table 5, CIFAR-100 10 % data, KD-DLGAN row, FID: not transcribed
# differs: KD-DLGAN's image-text (correlated) distillation is dropped, see configs/biggan/README.md
# KD-DLGAN (Cui et al., CVPR 2023), its aggregated distillation: D's 512-d embedding, with no
# projector and no normalisation, pulled to the CLIP feature of its own image and to that of the
# other half of the batch (the real <-> fake cross terms of its TripletLoss_reverse), 10 x the
# mean L2 distance each, in D's steps. Its correlated distillation (image-text similarities with
# CLIP's text tower and class prompts) and its out-of-distribution text term are not implemented.
_base_ = ['./vkd-diffaug-biggan_1xb50_cifar100-10p-32x32.py']

model = dict(discriminator=dict(projector=None), kd_cross_terms=True)
