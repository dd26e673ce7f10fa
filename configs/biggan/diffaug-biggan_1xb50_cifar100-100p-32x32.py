# paper: Table 4, CIFAR-100 100 % data, DA row (DiffAugment + LeCam, no KD), FID: not transcribed
# differs: nothing known (KD-DLGAN's recipe on MMagic's BigGAN)
# KD-DLGAN's DiffAugment + LeCam BigGAN baseline (no KD), CIFAR-100 100 % of the training images
# (KD-DLGAN's seeded subset), 500000 generator steps (= 2000000 MMagic iterations).
_base_ = ['./_base_/diffaug-biggan_1xb50_cifar100-32x32.py']

train_dataloader = dict(dataset=dict(subset_ratio=None))
train_cfg = dict(max_iters=2000000)
