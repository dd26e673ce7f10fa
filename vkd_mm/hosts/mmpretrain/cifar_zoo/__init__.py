"""The CIFAR-100 models of the CRD benchmark (Tian et al., ICLR 2020) as MMPretrain backbones,
and the converter of that code's checkpoints. The CRD ResNet-50 is MMPretrain's own
``ResNet_CIFAR`` (depth 50)."""
from .checkpoint import convert_crd_cifar, crd_state_dict
from .mobilenet_v2 import CifarMobileNetV2
from .resnet import CifarResNet
from .shufflenet_v1 import CifarShuffleNetV1
from .shufflenet_v2 import CifarShuffleNetV2
from .vgg import CifarVGG
from .wide_resnet import CifarWideResNet

__all__ = [
    'CifarResNet', 'CifarWideResNet', 'CifarVGG', 'CifarMobileNetV2', 'CifarShuffleNetV1',
    'CifarShuffleNetV2', 'convert_crd_cifar', 'crd_state_dict'
]
