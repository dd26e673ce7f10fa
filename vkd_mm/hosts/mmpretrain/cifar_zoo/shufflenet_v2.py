"""The CIFAR ShuffleNetV2 of the CRD code (net size 1: stages of 116, 232, 464 channels).

Ma et al., "ShuffleNet V2: Practical Guidelines for Efficient CNN Architecture Design", ECCV 2018,
in the CIFAR form of the CRD code (https://github.com/HobbitLong/RepDistiller
``models/ShuffleNetv2.py``, the same model in megvii-research/mdistiller
``mdistiller/models/cifar/ShuffleNetv2.py``): a 1 x 1 stem of 24 channels, no max pooling, three
stages of one down-sampling block and 3, 7, 3 basic blocks, and a 1 x 1 conv to 1024 channels.
Parameter names follow that code.
"""
from typing import Dict, List, Optional, Sequence, Tuple, Union

import torch
import torch.nn.functional as F
from mmpretrain.models.utils import channel_shuffle
from torch import nn

from vkd_mm.registry import MODELS
from .base import CifarBackbone, conv_bn, run_stages

__all__ = ['CifarShuffleNetV2', 'ShuffleV2Block', 'ShuffleV2DownBlock']


class ShuffleV2Block(nn.Module):
    """Channel split in halves; the second half goes through 1 x 1 conv-BN-ReLU, 3 x 3
    depthwise conv-BN, 1 x 1 conv-BN-ReLU; concatenated with the first half and shuffled in 2
    groups: (B, C, H, W) -> (B, C, H, W).

    Args:
        channels (int): C, even.
    """

    def __init__(self, channels: int) -> None:
        super().__init__()
        half = channels // 2
        self.conv1, self.bn1 = conv_bn(half, half, 1)
        self.conv2, self.bn2 = conv_bn(half, half, 3, groups=half)
        self.conv3, self.bn3 = conv_bn(half, half, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        kept, branch = x.chunk(2, dim=1)
        branch = F.relu(self.bn1(self.conv1(branch)))
        branch = F.relu(self.bn3(self.conv3(self.bn2(self.conv2(branch)))))
        return channel_shuffle(torch.cat([kept, branch], 1), 2)


class ShuffleV2DownBlock(nn.Module):
    """Two stride-2 branches of C_out / 2 channels each, concatenated and shuffled in 2 groups:
    (B, C_in, H, W) -> (B, C_out, H / 2, W / 2). Left: 3 x 3 depthwise conv-BN, 1 x 1
    conv-BN-ReLU; right: 1 x 1 conv-BN-ReLU, 3 x 3 depthwise conv-BN, 1 x 1 conv-BN-ReLU.

    Args:
        in_channels (int): C_in.
        out_channels (int): C_out, even.
    """

    def __init__(self, in_channels: int, out_channels: int) -> None:
        super().__init__()
        mid = out_channels // 2
        self.conv1, self.bn1 = conv_bn(in_channels, in_channels, 3, 2, groups=in_channels)
        self.conv2, self.bn2 = conv_bn(in_channels, mid, 1)
        self.conv3, self.bn3 = conv_bn(in_channels, mid, 1)
        self.conv4, self.bn4 = conv_bn(mid, mid, 3, 2, groups=mid)
        self.conv5, self.bn5 = conv_bn(mid, mid, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        left = F.relu(self.bn2(self.conv2(self.bn1(self.conv1(x)))))
        right = F.relu(self.bn3(self.conv3(x)))
        right = F.relu(self.bn5(self.conv5(self.bn4(self.conv4(right)))))
        return channel_shuffle(torch.cat([left, right], 1), 2)


@MODELS.register_module()
class CifarShuffleNetV2(CifarBackbone):
    """ShuffleNetV2 for CIFAR, as in the CRD code (its ``ShuffleV2``, net size 1).

    Stage outputs for a 32 x 32 input: ``layer1`` (116, 16, 16), ``layer2`` (232, 8, 8),
    ``layer3`` (464, 4, 4) and the final ``relu(bn2(conv2))`` (1024, 4, 4), the map the CRD code
    pools (the default output).

    Args:
        arch (str): net size, a key of :attr:`arch_settings`. Default: ``'1.0x'``.
        in_channels (int): image channels. Default: 3.
        out_indices (Sequence[int]): stages to return (0 to 3). Default: ``(3, )``.
        init_cfg (dict | list[dict], optional): Default: None, PyTorch's init (as the CRD code).
    """
    #: net size -> (stage channels and final channels, basic blocks per stage), the CRD code's
    #: table
    arch_settings: Dict[str, Tuple[Tuple[int, ...], Tuple[int, ...]]] = {
        '0.5x': ((48, 96, 192, 1024), (3, 7, 3)),
        '1.0x': ((116, 232, 464, 1024), (3, 7, 3)),
        '1.5x': ((176, 352, 704, 1024), (3, 7, 3)),
        '2.0x': ((224, 488, 976, 2048), (3, 7, 3)),
    }

    def __init__(self,
                 arch: str = '1.0x',
                 in_channels: int = 3,
                 out_indices: Sequence[int] = (3, ),
                 init_cfg: Optional[Union[dict, List[dict]]] = None) -> None:
        super().__init__(4, out_indices, init_cfg)
        channels, blocks = self.named_arch(arch)
        self.conv1, self.bn1 = conv_bn(in_channels, 24, 1)
        layers, previous = [], 24
        for out_channels, num_blocks in zip(channels[:3], blocks):
            layers.append(
                nn.Sequential(
                    ShuffleV2DownBlock(previous, out_channels),
                    *(ShuffleV2Block(out_channels) for _ in range(num_blocks))))
            previous = out_channels
        self.layer1, self.layer2, self.layer3 = layers
        self.conv2, self.bn2 = conv_bn(channels[2], channels[3], 1)

    def forward_stages(self, x: torch.Tensor) -> List[torch.Tensor]:
        x = F.relu(self.bn1(self.conv1(x)))
        stages = run_stages(x, (self.layer1, self.layer2, self.layer3))
        return stages + [F.relu(self.bn2(self.conv2(stages[-1])))]
