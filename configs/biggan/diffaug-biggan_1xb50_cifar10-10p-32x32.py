# paper: Table 4, CIFAR-10 10 % data, DA row (DiffAugment + LeCam, no KD), FID: not transcribed
# paper: Table 5, CIFAR-10 10 % data, DA row, FID: not transcribed
# differs: nothing known (KD-DLGAN's recipe on MMagic's BigGAN)
# KD-DLGAN's DiffAugment + LeCam BigGAN baseline (no KD), CIFAR-10 10 % of the training images
# (KD-DLGAN's seeded subset), 125000 generator steps (= 500000 MMagic iterations).
_base_ = ['./_base_/diffaug-biggan_1xb50_cifar-32x32.py']

train_dataloader = dict(dataset=dict(subset_ratio=0.1))
train_cfg = dict(max_iters=500000)
