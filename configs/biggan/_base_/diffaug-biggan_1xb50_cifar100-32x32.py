# The CIFAR-10 recipe of ./diffaug-biggan_1xb50_cifar-32x32.py on CIFAR-100: 100 classes,
# the CIFAR-100 python files under data/cifar100.
_base_ = ['./diffaug-biggan_1xb50_cifar-32x32.py']

num_classes = 100
model = dict(
    num_classes=num_classes,
    generator=dict(num_classes=num_classes),
    discriminator=dict(num_classes=num_classes))
train_dataloader = dict(dataset=dict(type='CIFAR100Subset', data_prefix='cifar100'))
val_dataloader = dict(dataset=dict(type='CIFAR100Subset', data_prefix='cifar100'))
test_dataloader = val_dataloader
