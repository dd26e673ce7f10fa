"""The CIFAR ShuffleNetV1 of the CRD code (3 groups, stages of 240, 480, 960 channels).

Zhang et al., "ShuffleNet: An Extremely Efficient Convolutional Neural Network for Mobile
Devices", CVPR 2018, in the CIFAR form of the CRD code (https://github.com/HobbitLong/RepDistiller
``models/ShuffleNetv1.py``, the same model in megvii-research/mdistiller
``mdistiller/models/cifar/ShuffleNetv1.py``): a 1 x 1 stem of 24 channels, no max pooling, and
three stages of 4, 8, 4 bottlenecks, each stage starting at stride 2. Parameter names follow that
code.
"""
from typing import List, Optional, Sequence, Union

import torch
import torch.nn.functional as F
from mmpretrain.models.utils import channel_shuffle
from torch import nn

from vkd_mm.registry import MODELS
from .base import CifarBackbone, conv_bn, run_stages

__all__ = ['CifarShuffleNetV1', 'ShuffleV1Bottleneck']


class ShuffleV1Bottleneck(nn.Module):
    """Grouped 1 x 1 conv - channel shuffle - 3 x 3 depthwise (stride) - grouped 1 x 1 conv.

    At stride 1 the input is added: (B, C, H, W) -> (B, C, H, W). At stride 2 the 3 x 3
    average-pooled input is concatenated: (B, C_in, H, W) -> (B, out_channels + C_in, H/2, W/2).
    ReLU after the sum or concatenation.

    Args:
        in_channels (int): C_in.
        out_channels (int): channels of the residual branch.
        stride (int): 1 or 2.
        groups (int): groups of the 1 x 1 convs; the first conv of the network's first block,
            on the 24-channel stem, is not grouped (as in the CRD code).
    """

    def __init__(self, in_channels: int, out_channels: int, stride: int, groups: int) -> None:
        super().__init__()
        mid_channels = out_channels // 4
        self.first_groups = 1 if in_channels == 24 else groups
        self.stride = stride
        self.conv1, self.bn1 = conv_bn(in_channels, mid_channels, 1, groups=self.first_groups)
        self.conv2, self.bn2 = conv_bn(mid_channels, mid_channels, 3, stride, groups=mid_channels)
        self.conv3, self.bn3 = conv_bn(mid_channels, out_channels, 1, groups=groups)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = F.relu(self.bn1(self.conv1(x)))
        out = channel_shuffle(out, self.first_groups)
        out = F.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        if self.stride == 2:
            return F.relu(torch.cat([out, F.avg_pool2d(x, 3, stride=2, padding=1)], 1))
        return F.relu(out + x)


@MODELS.register_module()
class CifarShuffleNetV1(CifarBackbone):
    """ShuffleNetV1 for CIFAR, as in the CRD code (its ``ShuffleV1``).

    Stage outputs for a 32 x 32 input: ``layer1`` (240, 16, 16), ``layer2`` (480, 8, 8),
    ``layer3`` (960, 4, 4); the default returns the last, the map the CRD code pools.

    Args:
        stage_channels (Sequence[int]): output channels of the 3 stages. Default: (240, 480, 960).
        stage_blocks (Sequence[int]): bottlenecks per stage. Default: (4, 8, 4).
        groups (int): groups of the 1 x 1 convs. Default: 3.
        in_channels (int): image channels. Default: 3.
        out_indices (Sequence[int]): stages to return (0, 1, 2). Default: ``(2, )``.
        init_cfg (dict | list[dict], optional): Default: None, PyTorch's init (as the CRD code).
    """

    def __init__(self,
                 stage_channels: Sequence[int] = (240, 480, 960),
                 stage_blocks: Sequence[int] = (4, 8, 4),
                 groups: int = 3,
                 in_channels: int = 3,
                 out_indices: Sequence[int] = (2, ),
                 init_cfg: Optional[Union[dict, List[dict]]] = None) -> None:
        super().__init__(3, out_indices, init_cfg)
        if len(stage_channels) != 3 or len(stage_blocks) != 3:
            raise ValueError('CifarShuffleNetV1 has 3 stages: give 3 stage_channels and 3 '
                             f'stage_blocks; got {stage_channels} and {stage_blocks}')
        self.conv1, self.bn1 = conv_bn(in_channels, 24, 1)
        channels = 24
        layers = []
        for out_channels, num_blocks in zip(stage_channels, stage_blocks):
            # the first block concatenates its pooled input: its branch makes the difference
            blocks = [ShuffleV1Bottleneck(channels, out_channels - channels, 2, groups)]
            blocks += [
                ShuffleV1Bottleneck(out_channels, out_channels, 1, groups)
                for _ in range(num_blocks - 1)
            ]
            layers.append(nn.Sequential(*blocks))
            channels = out_channels
        self.layer1, self.layer2, self.layer3 = layers

    def forward_stages(self, x: torch.Tensor) -> List[torch.Tensor]:
        x = F.relu(self.bn1(self.conv1(x)))
        return run_stages(x, (self.layer1, self.layer2, self.layer3))
