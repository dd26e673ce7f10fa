"""The wide ResNets WRN-d-w of the CRD code (WRN-40-2, WRN-40-1, WRN-16-2, WRN-16-1).

Zagoruyko and Komodakis, "Wide Residual Networks", BMVC 2016: pre-activation basic blocks
(BN-ReLU-conv), three stages of (d - 4) / 6 blocks with 16w, 32w, 64w channels, then BN-ReLU.
The CRD code (https://github.com/HobbitLong/RepDistiller ``models/wrn.py``, the same model in
megvii-research/mdistiller ``mdistiller/models/cifar/wrn.py``) uses no dropout. Parameter names
follow that code except ``blockK.layer.i`` -> ``blockK.i`` and ``convShortcut`` ->
``conv_shortcut`` (``tools/convert_cifar_checkpoint.py`` renames them).
"""
from typing import Dict, List, Optional, Sequence, Tuple, Union

import torch
import torch.nn.functional as F
from torch import nn

from vkd_mm.registry import MODELS
from .base import KAIMING_FAN_OUT, CifarBackbone, stack_blocks

__all__ = ['CifarWideResNet', 'WideBasicBlock']


class WideBasicBlock(nn.Module):
    """Pre-activation basic block: (B, C_in, H, W) -> (B, C_out, H / stride, W / stride).

    Where the shape changes, the shortcut is a 1 x 1 conv of the activated input; otherwise the
    input itself.

    Args:
        in_channels (int): input channels C_in.
        out_channels (int): output channels C_out.
        stride (int): stride of the first conv and of the shortcut. Default: 1.
    """

    def __init__(self, in_channels: int, out_channels: int, stride: int = 1) -> None:
        super().__init__()
        self.bn1 = nn.BatchNorm2d(in_channels)
        self.conv1 = nn.Conv2d(in_channels, out_channels, 3, stride, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(out_channels)
        self.conv2 = nn.Conv2d(out_channels, out_channels, 3, 1, 1, bias=False)
        self.project = in_channels != out_channels
        self.conv_shortcut = (
            nn.Conv2d(in_channels, out_channels, 1, stride, bias=False) if self.project else None)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        activated = F.relu(self.bn1(x))
        out = self.conv2(F.relu(self.bn2(self.conv1(activated))))
        # NOTE as in the CRD code: a projected shortcut starts from the activated input
        return out + (self.conv_shortcut(activated) if self.project else x)


@MODELS.register_module()
class CifarWideResNet(CifarBackbone):
    """WRN-d-w for CIFAR, as in the CRD code.

    Stage outputs: ``block1`` (16w, 32, 32), ``block2`` (32w, 16, 16), and the final
    ``relu(bn1(block3))`` (64w, 8, 8) for a 32 x 32 input, the map the CRD code pools for its
    classifier (the default output).

    Args:
        arch (str | dict): a name of :attr:`arch_settings` or ``dict(depth=6n+4, widen=w)``.
            Default: ``'wrn-40-2'``.
        in_channels (int): image channels. Default: 3.
        out_indices (Sequence[int]): stages to return (0, 1, 2). Default: ``(2, )``.
        init_cfg (dict | list[dict], optional): Default: the CRD code's He (fan-out) init.
    """
    #: name -> (depth, widening factor)
    arch_settings: Dict[str, Tuple[int, int]] = {
        'wrn-40-2': (40, 2),
        'wrn-40-1': (40, 1),
        'wrn-16-2': (16, 2),
        'wrn-16-1': (16, 1),
    }

    def __init__(self,
                 arch: Union[str, dict] = 'wrn-40-2',
                 in_channels: int = 3,
                 out_indices: Sequence[int] = (2, ),
                 init_cfg: Optional[Union[dict, List[dict]]] = KAIMING_FAN_OUT) -> None:
        super().__init__(3, out_indices, init_cfg)
        depth, widen = self._settings(arch)
        blocks = (depth - 4) // 6
        channels = (16, 16 * widen, 32 * widen, 64 * widen)
        self.conv1 = nn.Conv2d(in_channels, channels[0], 3, 1, 1, bias=False)
        self.block1 = stack_blocks(WideBasicBlock, channels[0], channels[1], blocks, 1)
        self.block2 = stack_blocks(WideBasicBlock, channels[1], channels[2], blocks, 2)
        self.block3 = stack_blocks(WideBasicBlock, channels[2], channels[3], blocks, 2)
        self.bn1 = nn.BatchNorm2d(channels[3])

    def _settings(self, arch: Union[str, dict]) -> Tuple[int, int]:
        if isinstance(arch, str):
            return self.named_arch(arch, ' or pass dict(depth=6n+4, widen=w)')
        depth, widen = arch['depth'], arch['widen']
        if (depth - 4) % 6 or depth < 10 or widen < 1:
            raise ValueError('a CifarWideResNet arch needs depth = 6n + 4 >= 10 and widen >= 1; '
                             f'got depth {depth}, widen {widen}')
        return depth, widen

    def forward_stages(self, x: torch.Tensor) -> List[torch.Tensor]:
        x1 = self.block1(self.conv1(x))
        x2 = self.block2(x1)
        return [x1, x2, F.relu(self.bn1(self.block3(x2)))]
