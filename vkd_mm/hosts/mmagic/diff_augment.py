"""DiffAugment: differentiable augmentations applied to real and fake images alike.

Zhao et al., "Differentiable Augmentation for Data-Efficient GAN Training", NeurIPS 2020. The
ops and magnitudes follow the paper's policy definitions; each sample draws its own parameters.
"""
from typing import Sequence, Union

import torch
import torch.nn.functional as F
from torch import nn

from vkd_mm.registry import MODELS

__all__ = ['DiffAugment', 'translate', 'cutout', 'adjust_color']


def adjust_color(x: torch.Tensor) -> torch.Tensor:
    """Brightness + U(-0.5, 0.5), saturation x U(0, 2), contrast x U(0.5, 1.5), per sample.

    Args:
        x (Tensor): images (B, C, H, W) in [-1, 1].
    """
    batch = x.shape[0]
    x = x + (torch.rand(batch, 1, 1, 1, device=x.device, dtype=x.dtype) - 0.5)
    mean = x.mean(1, keepdim=True)
    x = mean + (x - mean) * (torch.rand(batch, 1, 1, 1, device=x.device, dtype=x.dtype) * 2)
    mean = x.mean((1, 2, 3), keepdim=True)
    return mean + (x - mean) * (torch.rand(batch, 1, 1, 1, device=x.device, dtype=x.dtype) + 0.5)


def translate(x: torch.Tensor, ratio: float = 0.125) -> torch.Tensor:
    """Shift each image by a random whole number of pixels, up to ``ratio`` of its size in each
    direction; uncovered pixels become 0."""
    batch, _, height, width = x.shape
    max_dy, max_dx = int(height * ratio + 0.5), int(width * ratio + 0.5)
    dy = torch.randint(-max_dy, max_dy + 1, (batch, 1), device=x.device)
    dx = torch.randint(-max_dx, max_dx + 1, (batch, 1), device=x.device)
    padded = F.pad(x, (max_dx, max_dx, max_dy, max_dy))
    # output pixel (i, j) reads input pixel (i - dy, j - dx), i.e. padded (i - dy + max_dy, ...)
    rows = torch.arange(height, device=x.device)[None] + max_dy - dy
    cols = torch.arange(width, device=x.device)[None] + max_dx - dx
    samples = torch.arange(batch, device=x.device)[:, None, None]
    # [B, H, W, C] by advanced indexing -> [B, C, H, W]
    return padded[samples, :, rows[:, :, None], cols[:, None, :]].permute(0, 3, 1, 2)


def cutout(x: torch.Tensor, ratio: float = 0.5) -> torch.Tensor:
    """Zero one square of side ``ratio`` x the image size at a random centre per image (the
    square is clipped at the border)."""
    batch, _, height, width = x.shape
    size_h, size_w = int(height * ratio + 0.5), int(width * ratio + 0.5)
    top = torch.randint(0, height, (batch, 1, 1), device=x.device) - size_h // 2
    left = torch.randint(0, width, (batch, 1, 1), device=x.device) - size_w // 2
    rows = torch.arange(height, device=x.device)[None, :, None]
    cols = torch.arange(width, device=x.device)[None, None, :]
    inside = ((rows >= top) & (rows < top + size_h) & (cols >= left) & (cols < left + size_w))
    return x * (~inside).unsqueeze(1).to(x.dtype)


_OPS = {'color': adjust_color, 'translation': translate, 'cutout': cutout}


@MODELS.register_module()
class DiffAugment(nn.Module):
    """Apply a DiffAugment policy to a batch of images, differentiably.

    Args:
        policy (str | Sequence[str]): ops in order, from 'color', 'translation', 'cutout'.
            Default: 'translation,cutout' (KD-DLGAN's CIFAR runs).
    """

    def __init__(self, policy: Union[str, Sequence[str]] = 'translation,cutout') -> None:
        super().__init__()
        ops = [p for p in policy.split(',') if p] if isinstance(policy, str) else list(policy)
        unknown = [op for op in ops if op not in _OPS]
        if unknown:
            raise ValueError(f'unknown DiffAugment ops {unknown}; choose from {sorted(_OPS)}')
        self.ops = ops

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        """(B, C, H, W) -> (B, C, H, W)."""
        for op in self.ops:
            images = _OPS[op](images)
        return images

    def extra_repr(self) -> str:
        return f"policy='{','.join(self.ops)}'"
