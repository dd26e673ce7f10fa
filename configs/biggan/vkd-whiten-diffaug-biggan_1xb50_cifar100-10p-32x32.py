# paper: Table 9, CIFAR-100 10 %, whitening, P/R/density/coverage: not transcribed
# differs: the projector trains with D (the author's sits on G and is never updated)
# The author's snippet (VkD issue #3) puts the projector on G, whose optimiser never updates it;
# here it and the KD head train with D's Adam (no weight decay). The loss line of his GAN runs is
# not published: here KD-DLGAN's 10 x mean L2 distance, in D's steps.
# The author's whitening code is not published: BatchSampleWhiten is the paper's definition.
# + V_kD with the teacher features of each batch of 50 whitened: made unit-norm and mutually
# orthogonal (BatchSampleWhiten, Gram matrix = I); otherwise as the vkd-diffaug-* config.
_base_ = ['./vkd-diffaug-biggan_1xb50_cifar100-10p-32x32.py']

model = dict(teacher_norm=dict(_delete_=True, type='BatchSampleWhiten'))
