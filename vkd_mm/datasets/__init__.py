from .checked_loading import CheckedLoadImageFromFile, UnreadableImageError
from .fashion_coco import FASHION_COCO_CLASSES, make_fashion_coco
from .fashion_mnist_files import (FASHION_MNIST_APT, FASHION_MNIST_CLASSES, FASHION_MNIST_ROOT,
                                  load_fashion_mnist, missing_fashion_mnist_files)
from .toy_cifar import make_toy_cifar
from .toy_coco import TOY_COCO_CLASSES, make_toy_coco, write_coco_set
from .toy_shapes import (TOY_SHAPE_CLASSES, draw_shape, make_toy_shapes, noisy_background,
                         paint_shape)

__all__ = [
    'CheckedLoadImageFromFile', 'UnreadableImageError', 'TOY_SHAPE_CLASSES', 'draw_shape',
    'make_toy_shapes', 'noisy_background', 'paint_shape', 'TOY_COCO_CLASSES', 'make_toy_coco',
    'write_coco_set', 'make_toy_cifar', 'FASHION_COCO_CLASSES', 'make_fashion_coco',
    'FASHION_MNIST_APT', 'FASHION_MNIST_CLASSES', 'FASHION_MNIST_ROOT', 'load_fashion_mnist',
    'missing_fashion_mnist_files'
]
