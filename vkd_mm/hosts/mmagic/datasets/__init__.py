from .cifar import CIFAR10Subset, CIFAR100Subset, subset_indices

__all__ = ['CIFAR10Subset', 'CIFAR100Subset', 'subset_indices']
