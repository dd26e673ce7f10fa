from .cifar import CIFAR10Subset, CIFAR100Subset, subset_indices
from .toy_cifar import make_toy_cifar
from .toy_coco import TOY_COCO_CLASSES, make_toy_coco
from .toy_shapes import (TOY_SHAPE_CLASSES, draw_shape, make_toy_shapes, noisy_background,
                         paint_shape)

__all__ = [
    'TOY_SHAPE_CLASSES', 'draw_shape', 'make_toy_shapes', 'noisy_background', 'paint_shape',
    'TOY_COCO_CLASSES', 'make_toy_coco', 'CIFAR10Subset', 'CIFAR100Subset', 'subset_indices',
    'make_toy_cifar'
]
