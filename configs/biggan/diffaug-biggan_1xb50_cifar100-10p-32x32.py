# KD-DLGAN's DiffAugment + LeCam BigGAN baseline (no KD), CIFAR-100 at 10 %; same recipe on MMagic.
# 10 % of the training images (KD-DLGAN's seeded subset), 125000 generator steps
# (= 500000 MMagic iterations).
_base_ = ['./_base_/diffaug-biggan_1xb50_cifar-32x32.py']

num_classes = 100
model = dict(
    num_classes=num_classes,
    generator=dict(num_classes=num_classes),
    discriminator=dict(num_classes=num_classes))
train_dataloader = dict(
    dataset=dict(type='CIFAR100Subset', data_prefix='cifar100', subset_ratio=0.1))
val_dataloader = dict(dataset=dict(type='CIFAR100Subset', data_prefix='cifar100'))
test_dataloader = val_dataloader
train_cfg = dict(max_iters=500000)
