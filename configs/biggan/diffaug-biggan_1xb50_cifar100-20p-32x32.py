# paper: Table 4, CIFAR-100 20 % data, DA row (DiffAugment + LeCam, no KD), FID: not transcribed
# differs: nothing known (KD-DLGAN's recipe on MMagic's BigGAN)
# KD-DLGAN's DiffAugment + LeCam BigGAN baseline (no KD), CIFAR-100 20 % of the training images
# (KD-DLGAN's seeded subset), 250000 generator steps (= 1000000 MMagic iterations).
_base_ = ['./_base_/diffaug-biggan_1xb50_cifar100-32x32.py']

train_dataloader = dict(dataset=dict(subset_ratio=0.2))
train_cfg = dict(max_iters=1000000)
