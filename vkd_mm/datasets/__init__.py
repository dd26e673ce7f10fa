from vkd_mm.utils.optional import host_component_getattr, host_installed
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
# the CIFAR subsets extend MMagic's CIFAR10 and take MMPretrain's CIFAR-100 class names
if host_installed('mmagic') and host_installed('mmpretrain'):
    from .cifar import CIFAR10Subset, CIFAR100Subset, subset_indices
    __all__ += ['CIFAR10Subset', 'CIFAR100Subset', 'subset_indices']
if host_installed('mmpretrain'):  # Fashion-MNIST extends MMPretrain's FashionMNIST
    from .fashion_mnist import FashionMNISTIdx
    __all__ += ['FashionMNISTIdx']

__getattr__ = host_component_getattr(__name__, {
    **{name: ('mmagic', 'mmpretrain')
       for name in ('CIFAR10Subset', 'CIFAR100Subset', 'subset_indices')},
    'FashionMNISTIdx': ('mmpretrain', ),
})
