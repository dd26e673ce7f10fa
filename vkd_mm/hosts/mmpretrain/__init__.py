"""MMPretrain: the DeiT distillation head, the conv-stem student, the CIFAR-100 models of the CRD
benchmark (and their checkpoint converter), Fashion-MNIST read from its idx files."""
from vkd_mm.hosts import require_host_libraries

require_host_libraries(__name__)

from .cifar_zoo import (CifarMobileNetV2, CifarResNet, CifarShuffleNetV1, CifarShuffleNetV2,
                        CifarVGG, CifarWideResNet, convert_crd_cifar, crd_state_dict)
from .conv_stem_deit import ConvStem, ConvStemDistilledViT
from .datasets import FashionMNISTIdx
from .deit_distill_head import DeiTDistillHead

__all__ = [
    'DeiTDistillHead', 'ConvStem', 'ConvStemDistilledViT', 'FashionMNISTIdx', 'CifarResNet',
    'CifarWideResNet', 'CifarVGG', 'CifarMobileNetV2', 'CifarShuffleNetV1', 'CifarShuffleNetV2',
    'convert_crd_cifar', 'crd_state_dict'
]
