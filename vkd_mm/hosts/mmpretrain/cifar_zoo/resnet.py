"""The CIFAR ResNets of the CRD code (resnet20 ... resnet110, resnet8x4, resnet32x4).

He et al., "Deep Residual Learning for Image Recognition", CVPR 2016, section 4.2: a 3 x 3 stem
and three stages of basic blocks at strides 1, 2, 2. The ``x4`` models of the CRD code (Tian et
al., ICLR 2020, https://github.com/HobbitLong/RepDistiller ``models/resnet.py``; the same model in
megvii-research/mdistiller ``mdistiller/models/cifar/resnet.py``) are 4 times wider. Parameter
names follow that code, so its checkpoints load after ``tools/convert_cifar_checkpoint.py``.
"""
from typing import Dict, List, Optional, Sequence, Tuple, Union

import torch
import torch.nn.functional as F
from torch import nn

from vkd_mm.registry import MODELS
from .base import KAIMING_FAN_OUT, CifarBackbone, conv_bn, run_stages, stack_blocks

__all__ = ['CifarResNet', 'CifarBasicBlock']


class CifarBasicBlock(nn.Module):
    """Two 3 x 3 conv-BN layers and a shortcut, ReLU after the sum: (B, C_in, H, W) ->
    (B, C_out, H / stride, W / stride). The shortcut is a 1 x 1 conv-BN where the shape changes.

    Args:
        in_channels (int): input channels C_in.
        out_channels (int): output channels C_out.
        stride (int): stride of the first conv and of the shortcut. Default: 1.
    """

    def __init__(self, in_channels: int, out_channels: int, stride: int = 1) -> None:
        super().__init__()
        self.conv1, self.bn1 = conv_bn(in_channels, out_channels, 3, stride)
        self.conv2, self.bn2 = conv_bn(out_channels, out_channels, 3)
        self.downsample = nn.Identity()
        if stride != 1 or in_channels != out_channels:
            self.downsample = nn.Sequential(*conv_bn(in_channels, out_channels, 1, stride))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return F.relu(out + self.downsample(x))


@MODELS.register_module()
class CifarResNet(CifarBackbone):
    """CIFAR ResNet of depth 6n + 2 (n basic blocks per stage), as in the CRD code.

    Stage outputs (post-ReLU): ``layer1`` (C_1, 32, 32), ``layer2`` (C_2, 16, 16), ``layer3``
    (C_3, 8, 8) for a 32 x 32 input; the default returns the last, the feature map the CRD
    code pools for its classifier.

    Args:
        arch (str | dict): a name of :attr:`arch_settings` or
            ``dict(depth=..., channels=(stem, C_1, C_2, C_3))``. Default: ``'resnet8x4'``.
        in_channels (int): image channels. Default: 3.
        out_indices (Sequence[int]): stages to return (0, 1, 2). Default: ``(2, )``.
        init_cfg (dict | list[dict], optional): Default: the CRD code's He (fan-out) init.
    """
    #: name -> (depth, (stem, stage 1, stage 2, stage 3 channels))
    arch_settings: Dict[str, Tuple[int, Tuple[int, int, int, int]]] = {
        'resnet8': (8, (16, 16, 32, 64)),
        'resnet14': (14, (16, 16, 32, 64)),
        'resnet20': (20, (16, 16, 32, 64)),
        'resnet32': (32, (16, 16, 32, 64)),
        'resnet44': (44, (16, 16, 32, 64)),
        'resnet56': (56, (16, 16, 32, 64)),
        'resnet110': (110, (16, 16, 32, 64)),
        'resnet8x4': (8, (32, 64, 128, 256)),
        'resnet32x4': (32, (32, 64, 128, 256)),
    }

    def __init__(self,
                 arch: Union[str, dict] = 'resnet8x4',
                 in_channels: int = 3,
                 out_indices: Sequence[int] = (2, ),
                 init_cfg: Optional[Union[dict, List[dict]]] = KAIMING_FAN_OUT) -> None:
        super().__init__(3, out_indices, init_cfg)
        depth, channels = self._settings(arch)
        blocks = (depth - 2) // 6
        self.conv1, self.bn1 = conv_bn(in_channels, channels[0], 3)
        self.layer1 = stack_blocks(CifarBasicBlock, channels[0], channels[1], blocks, 1)
        self.layer2 = stack_blocks(CifarBasicBlock, channels[1], channels[2], blocks, 2)
        self.layer3 = stack_blocks(CifarBasicBlock, channels[2], channels[3], blocks, 2)

    def _settings(self, arch: Union[str, dict]) -> Tuple[int, Tuple[int, ...]]:
        if isinstance(arch, str):
            return self.named_arch(arch, ' or pass dict(depth=6n+2, channels=(stem, c1, c2, c3))')
        depth, channels = arch['depth'], tuple(arch['channels'])
        if (depth - 2) % 6 or depth < 8 or len(channels) != 4:
            raise ValueError('a CifarResNet arch needs depth = 6n + 2 >= 8 and 4 channel counts '
                             f'(stem and 3 stages); got depth {depth}, channels {channels}')
        return depth, channels

    def forward_stages(self, x: torch.Tensor) -> List[torch.Tensor]:
        x = F.relu(self.bn1(self.conv1(x)))
        return run_stages(x, (self.layer1, self.layer2, self.layer3))
