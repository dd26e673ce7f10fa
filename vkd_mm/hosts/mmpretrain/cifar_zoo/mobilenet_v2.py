"""The CIFAR MobileNetV2 of the CRD code (``mobile_half``: expansion 6, width multiplier 0.5).

Sandler et al., "MobileNetV2: Inverted Residuals and Linear Bottlenecks", CVPR 2018, in the CIFAR
form of the CRD code (https://github.com/HobbitLong/RepDistiller ``models/mobilenetv2.py``, the
same model in megvii-research/mdistiller ``mdistiller/models/cifar/mobilenetv2.py``): a stride-2
stem, the seven inverted-residual stages of the paper with strides 1, 1, 2, 2, 1, 2, 1, and a
1 x 1 conv to 1280 channels (kept at 1280 for multipliers <= 1). Its "MobileNetV2" of the
CIFAR-100 benchmark is ``mobile_half``, the default here. Parameter names follow that code.
"""
from typing import List, Optional, Sequence, Union

import torch
from torch import nn

from vkd_mm.registry import MODELS
from .base import KAIMING_FAN_OUT, CifarBackbone, conv_bn

__all__ = ['CifarMobileNetV2', 'InvertedResidual']


def conv_bn_relu(in_channels: int, out_channels: int, kernel: int, stride: int) -> nn.Sequential:
    """conv (no bias) - BN - ReLU, 'same' padding."""
    return nn.Sequential(*conv_bn(in_channels, out_channels, kernel, stride), nn.ReLU(inplace=True))


class InvertedResidual(nn.Module):
    """1 x 1 expansion - 3 x 3 depthwise - linear 1 x 1 projection, each with BN, in one
    ``conv`` Sequential: (B, C_in, H, W) -> (B, C_out, H / stride, W / stride); the input is
    added where the shape is kept. The expansion conv exists for an expansion ratio of 1 too.

    Args:
        in_channels (int): C_in.
        out_channels (int): C_out.
        stride (int): stride of the depthwise conv, 1 or 2.
        expand_ratio (int): hidden width / C_in.
    """

    def __init__(self, in_channels: int, out_channels: int, stride: int, expand_ratio: int) -> None:
        super().__init__()
        hidden = in_channels * expand_ratio
        self.use_residual = stride == 1 and in_channels == out_channels
        self.conv = nn.Sequential(*conv_bn_relu(in_channels, hidden, 1, 1),
                                  *conv_bn(hidden, hidden, 3, stride, groups=hidden),
                                  nn.ReLU(inplace=True), *conv_bn(hidden, out_channels, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.conv(x)
        return x + out if self.use_residual else out


@MODELS.register_module()
class CifarMobileNetV2(CifarBackbone):
    """MobileNetV2 for CIFAR, as in the CRD code.

    Stage outputs for a 32 x 32 input, at width 0.5: ``blocks[0:2]`` (12, 16, 16),
    ``blocks[2]`` (16, 8, 8), ``blocks[3:5]`` (48, 4, 4), ``blocks[5:7]`` (160, 2, 2) and the
    final 1 x 1 conv ``conv2`` (1280, 2, 2), the map the CRD code pools for its classifier (the
    default output).

    Args:
        expand_ratio (int): expansion of the inverted residuals after the first. Default: 6.
        widen_factor (float): width multiplier. Default: 0.5 (the CRD code's ``mobile_half``).
        in_channels (int): image channels. Default: 3.
        out_indices (Sequence[int]): stages to return (0 to 4). Default: ``(4, )``.
        init_cfg (dict | list[dict], optional): Default: the CRD code's He (fan-out) init.
    """
    #: (expansion, channels, blocks, stride) of the seven stages; expansion None means
    #: ``expand_ratio``
    arch_setting = ((1, 16, 1, 1), (None, 24, 2, 1), (None, 32, 3, 2), (None, 64, 4, 2),
                    (None, 96, 3, 1), (None, 160, 3, 2), (None, 320, 1, 1))

    def __init__(self,
                 expand_ratio: int = 6,
                 widen_factor: float = 0.5,
                 in_channels: int = 3,
                 out_indices: Sequence[int] = (4, ),
                 init_cfg: Optional[Union[dict, List[dict]]] = KAIMING_FAN_OUT) -> None:
        super().__init__(5, out_indices, init_cfg)
        if expand_ratio < 1 or widen_factor <= 0:
            raise ValueError('CifarMobileNetV2 needs expand_ratio >= 1 and widen_factor > 0; got '
                             f'{expand_ratio} and {widen_factor}')
        channels = int(32 * widen_factor)
        self.conv1 = conv_bn_relu(in_channels, channels, 3, 2)
        self.blocks = nn.ModuleList()
        for expansion, width, num_blocks, stride in self.arch_setting:
            out_channels = int(width * widen_factor)
            layers = []
            for index in range(num_blocks):
                layers.append(
                    InvertedResidual(channels, out_channels, stride if index == 0 else 1, expansion
                                     or expand_ratio))
                channels = out_channels
            self.blocks.append(nn.Sequential(*layers))
        self.out_channels = int(1280 * widen_factor) if widen_factor > 1.0 else 1280
        self.conv2 = conv_bn_relu(channels, self.out_channels, 1, 1)

    def forward_stages(self, x: torch.Tensor) -> List[torch.Tensor]:
        x = self.conv1(x)
        stages = []
        # NOTE the stage ends of the CRD code's feature list: after blocks 1, 2, 4 and 6
        for first, last in ((0, 2), (2, 3), (3, 5), (5, 7)):
            for block in self.blocks[first:last]:
                x = block(x)
            stages.append(x)
        stages.append(self.conv2(x))
        return stages
