# CIFAR-100 as the CRD code trains on it: batch 64, 32 x 32 random crops with 4 pixels of zero
# padding, horizontal flips, per-channel normalisation (MMPretrain's CIFAR-100 statistics; the
# CRD code rounds them to (0.5071, 0.4867, 0.4408) / (0.2675, 0.2565, 0.2761)). The python
# version of the data set is read from data/cifar100 (cifar-100-python/), never downloaded.
_base_ = ['mmpretrain::_base_/datasets/cifar100_bs16.py']

train_dataloader = dict(
    batch_size=64,
    num_workers=4,
    dataset=dict(data_root='data/cifar100', download=False))
val_dataloader = dict(
    batch_size=64,
    num_workers=4,
    dataset=dict(data_root='data/cifar100', download=False))
test_dataloader = val_dataloader
val_evaluator = dict(type='Accuracy', topk=(1, 5))
test_evaluator = val_evaluator
