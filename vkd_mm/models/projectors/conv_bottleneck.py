"""Convolutional student-side projector of WKD-F (the official ``ConvRegBottleNeck``)."""
import torch
from torch import nn

from vkd_mm.registry import MODELS

__all__ = ['ConvBottleneckProjector']


@MODELS.register_module()
class ConvBottleneckProjector(nn.Module):
    """Conv1x1 -> Conv3x3 -> Conv1x1 -> BN -> ReLU on feature maps of the same resolution.

    WKD's projector for ImageNet ResNet34 -> ResNet18 (official ``mdistiller`` ``_common.py``):
    no non-linearity between the convolutions, batch norm and ReLU at the end.

    Args:
        in_channels (int): student channels.
        out_channels (int): teacher channels.
        hidden_channels (int): width of the bottleneck. Default: 256.
    """

    def __init__(self, in_channels: int, out_channels: int, hidden_channels: int = 256) -> None:
        super().__init__()
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.layers = nn.Sequential(
            nn.Conv2d(in_channels, hidden_channels, 1),
            nn.Conv2d(hidden_channels, hidden_channels, 3, padding=1),
            nn.Conv2d(hidden_channels, out_channels, 1), nn.BatchNorm2d(out_channels),
            nn.ReLU(inplace=True))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Args: x (Tensor): (B, C_s, H, W). Returns: Tensor: (B, C_t, H, W)."""
        if x.dim() != 4 or x.shape[1] != self.in_channels:
            raise ValueError(f'ConvBottleneckProjector expects (B, {self.in_channels}, H, W) '
                             f'maps, got shape {tuple(x.shape)}')
        return self.layers(x)

    def extra_repr(self) -> str:
        return f'in_channels={self.in_channels}, out_channels={self.out_channels}'
