# KD-DLGAN's DiffAugment + LeCam BigGAN baseline (no KD), CIFAR-100 at 100 %; same recipe on MMagic.
# 100 % of the training images (KD-DLGAN's seeded subset), 500000 generator steps
# (= 2000000 MMagic iterations).
_base_ = ['./_base_/diffaug-biggan_1xb50_cifar100-32x32.py']

train_dataloader = dict(dataset=dict(subset_ratio=None))
train_cfg = dict(max_iters=2000000)
