"""The CIFAR VGGs with batch norm of the CRD code (VGG8, VGG11, VGG13, VGG16, VGG19).

Simonyan and Zisserman, "Very Deep Convolutional Networks for Large-Scale Image Recognition",
ICLR 2015, with batch norm after each conv, in the CIFAR form of the CRD code
(https://github.com/HobbitLong/RepDistiller ``models/vgg.py``, the same model in
megvii-research/mdistiller ``mdistiller/models/cifar/vgg.py``): five blocks of 3 x 3 conv-BN-ReLU
with max pooling after the first three, no pooling before the fifth at 32 x 32 (that code pools
there only for 64 x 64 inputs), and one linear classifier on the averaged 512-d map. VGG8 is
that code's configuration "S" (one conv per block). Parameter names follow that code.
"""
from typing import Dict, List, Optional, Sequence, Tuple, Union

import torch
import torch.nn.functional as F
from torch import nn

from vkd_mm.registry import MODELS
from .base import KAIMING_FAN_OUT, CifarBackbone

__all__ = ['CifarVGG']


def conv_bn_block(in_channels: int, widths: Sequence[int]) -> nn.Sequential:
    """3 x 3 conv (with bias) - BN (- ReLU) per width; no ReLU after the last BN, which the
    backbone applies so that the pre-activation stays reachable."""
    layers: List[nn.Module] = []
    for width in widths:
        layers += [
            nn.Conv2d(in_channels, width, 3, padding=1),
            nn.BatchNorm2d(width),
            nn.ReLU(inplace=True)
        ]
        in_channels = width
    return nn.Sequential(*layers[:-1])


@MODELS.register_module()
class CifarVGG(CifarBackbone):
    """VGG with batch norm for CIFAR, as in the CRD code.

    Stage outputs (post-ReLU) for a 32 x 32 input: ``block0`` (64, 32, 32), ``block1``
    (128, 16, 16), ``block2`` (256, 8, 8), ``block3`` (512, 4, 4), ``block4`` (512, 4, 4); the
    default returns the last.

    Args:
        arch (str | Sequence[Sequence[int]]): a name of :attr:`arch_settings` or the conv widths
            of each of the 5 blocks. Default: ``'vgg13'``.
        in_channels (int): image channels. Default: 3.
        pool_before_last (bool): max-pool before the fifth block, as the CRD code does for
            64 x 64 inputs. Default: False (its 32 x 32 CIFAR models).
        out_indices (Sequence[int]): stages to return (0 to 4). Default: ``(4, )``.
        init_cfg (dict | list[dict], optional): Default: the CRD code's He (fan-out) init, conv
            biases 0.
    """
    arch_settings: Dict[str, Tuple[Tuple[int, ...], ...]] = {
        'vgg8': ((64, ), (128, ), (256, ), (512, ), (512, )),
        'vgg11': ((64, ), (128, ), (256, 256), (512, 512), (512, 512)),
        'vgg13': ((64, 64), (128, 128), (256, 256), (512, 512), (512, 512)),
        'vgg16': ((64, 64), (128, 128), (256, 256, 256), (512, 512, 512), (512, 512, 512)),
        'vgg19': ((64, 64), (128, 128), (256, ) * 4, (512, ) * 4, (512, ) * 4),
    }

    def __init__(self,
                 arch: Union[str, Sequence[Sequence[int]]] = 'vgg13',
                 in_channels: int = 3,
                 pool_before_last: bool = False,
                 out_indices: Sequence[int] = (4, ),
                 init_cfg: Optional[Union[dict, List[dict]]] = KAIMING_FAN_OUT) -> None:
        super().__init__(5, out_indices, init_cfg)
        widths = self._settings(arch)
        self.block0 = conv_bn_block(in_channels, widths[0])
        self.block1 = conv_bn_block(widths[0][-1], widths[1])
        self.block2 = conv_bn_block(widths[1][-1], widths[2])
        self.block3 = conv_bn_block(widths[2][-1], widths[3])
        self.block4 = conv_bn_block(widths[3][-1], widths[4])
        self.pool = nn.MaxPool2d(kernel_size=2, stride=2)
        self.pool_before_last = pool_before_last

    def _settings(self, arch: Union[str, Sequence[Sequence[int]]]) -> Sequence[Sequence[int]]:
        if isinstance(arch, str):
            return self.named_arch(arch, ' or pass the conv widths of 5 blocks')
        if len(arch) != 5 or not all(arch):
            raise ValueError(f'a CifarVGG arch lists the conv widths of 5 blocks; got {arch!r}')
        return arch

    def forward_stages(self, x: torch.Tensor) -> List[torch.Tensor]:
        stages = []
        blocks = (self.block0, self.block1, self.block2, self.block3, self.block4)
        for index, block in enumerate(blocks):
            if index in (1, 2, 3) or (index == 4 and self.pool_before_last):
                x = self.pool(x)
            x = F.relu(block(x))
            stages.append(x)
        return stages
