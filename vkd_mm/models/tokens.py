"""Channel-last views of the feature layouts that distillation meets.

Projectors, normalisers and losses act on channels. Features arrive as vectors (B, C), token
sequences (B, N, C) or feature maps (B, C, H, W); these helpers turn any of them into a matrix of
tokens (M, C) and back, so that each component is written once for the (M, C) case.
"""
from typing import Tuple

import torch

__all__ = ['to_tokens', 'from_tokens', 'channel_dim']


def channel_dim(x: torch.Tensor) -> int:
    """Index of the channel dimension: 1 for (B, C) and (B, C, H, W), -1 for (B, N, C)."""
    if x.dim() in (2, 4):
        return 1
    if x.dim() == 3:
        return 2
    raise ValueError(f'expected a feature of shape (B, C), (B, N, C) or (B, C, H, W); '
                     f'got a {x.dim()}-d tensor of shape {tuple(x.shape)}')


def to_tokens(x: torch.Tensor) -> Tuple[torch.Tensor, torch.Size]:
    """Flatten a feature into a matrix of tokens.

    Args:
        x (Tensor): (B, C), (B, N, C) or (B, C, H, W).

    Returns:
        tuple: tokens of shape (M, C) with M = B, B*N or B*H*W, and the original shape, which
        :func:`from_tokens` needs to undo the flattening.
    """
    channel_dim(x)
    if x.dim() == 4:
        # [B, C, H, W] -> [B*H*W, C]
        return x.permute(0, 2, 3, 1).reshape(-1, x.shape[1]), x.shape
    return x.reshape(-1, x.shape[-1]), x.shape


def from_tokens(tokens: torch.Tensor, shape: torch.Size) -> torch.Tensor:
    """Inverse of :func:`to_tokens`; the channel count may have changed.

    Args:
        tokens (Tensor): (M, C').
        shape (torch.Size): the shape that :func:`to_tokens` was given.

    Returns:
        Tensor: the original layout with C' channels.
    """
    channels = tokens.shape[-1]
    if len(shape) == 4:
        batch, _, height, width = shape
        # [B*H*W, C'] -> [B, C', H, W]
        return tokens.reshape(batch, height, width, channels).permute(0, 3, 1, 2)
    return tokens.reshape(*shape[:-1], channels)
