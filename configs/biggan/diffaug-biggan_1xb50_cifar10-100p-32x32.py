# KD-DLGAN's DiffAugment + LeCam BigGAN baseline (no KD), CIFAR-10 at 100 %; same recipe on MMagic.
# 100 % of the training images (KD-DLGAN's seeded subset), 250000 generator steps
# (= 1000000 MMagic iterations).
_base_ = ['./_base_/diffaug-biggan_1xb50_cifar-32x32.py']

num_classes = 10
model = dict(
    num_classes=num_classes,
    generator=dict(num_classes=num_classes),
    discriminator=dict(num_classes=num_classes))
train_dataloader = dict(
    dataset=dict(type='CIFAR10Subset', data_prefix='cifar10', subset_ratio=None))
val_dataloader = dict(dataset=dict(type='CIFAR10Subset', data_prefix='cifar10'))
test_dataloader = val_dataloader
train_cfg = dict(max_iters=1000000)
