from vkd_mm.utils.optional import lazy_host_getattr
from .fashion_coco import FASHION_COCO_CLASSES, make_fashion_coco
from .fashion_mnist_files import (FASHION_MNIST_APT, FASHION_MNIST_CLASSES, FASHION_MNIST_ROOT,
                                  load_fashion_mnist, missing_fashion_mnist_files)
from .toy_cifar import make_toy_cifar
from .toy_coco import TOY_COCO_CLASSES, make_toy_coco, write_coco_set
from .toy_shapes import (TOY_SHAPE_CLASSES, draw_shape, make_toy_shapes, noisy_background,
                         paint_shape)

__all__ = [
    'TOY_SHAPE_CLASSES', 'draw_shape', 'make_toy_shapes', 'noisy_background', 'paint_shape',
    'TOY_COCO_CLASSES', 'make_toy_coco', 'write_coco_set', 'make_toy_cifar',
    'FASHION_COCO_CLASSES', 'make_fashion_coco', 'FASHION_MNIST_APT', 'FASHION_MNIST_CLASSES',
    'FASHION_MNIST_ROOT', 'load_fashion_mnist', 'missing_fashion_mnist_files'
]
# Data sets that extend a host library's: imported (and registered) on first access or when a
# config of that host's scope builds a data set (vkd_mm.registry.HOST_MODULES), so that
# importing this package imports no host library (a classification run never imports MMagic).
__getattr__ = lazy_host_getattr(__name__, {
    **{name: ('.cifar', ('mmagic', 'mmpretrain'))
       for name in ('CIFAR10Subset', 'CIFAR100Subset', 'subset_indices')},
    'FashionMNISTIdx': ('.fashion_mnist', ('mmpretrain', )),
})
