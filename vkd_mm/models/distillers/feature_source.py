"""Where a distilled feature is recorded and how it is reduced before distillation."""
from dataclasses import dataclass
from typing import Optional

import torch

__all__ = ['FeatureSource']

_POOLS = (None, 'avg')


@dataclass
class FeatureSource:
    """Where a feature comes from and how it is reduced before distillation.

    Args:
        path (str, optional): dotted module path, e.g. ``'backbone.layer4'``, whose output a
            distiller records; None for a feature that the owner of the pair passes in itself
            (the GAN's discriminator embedding).
        channels (int): channel count of the recorded feature (after ``index``).
        index (int, optional): picks one tensor from a tuple or list output.
        skip_tokens (int): drops this many leading tokens of a (B, N, C) feature, e.g. the class
            and distillation tokens of a DeiT. Default: 0.
        pool (str, optional): ``'avg'`` averages tokens or spatial positions to (B, C).
        channels_last (bool): the feature is (..., C) with any leading dimensions, e.g. the
            stacked decoder outputs (L, B, N, C) of a DETR; it is flattened to tokens (M, C),
            which suits batch statistics (standardisation, whitening) and per-token losses.
            Default: False.
    """
    path: Optional[str]
    channels: int
    index: Optional[int] = None
    skip_tokens: int = 0
    pool: Optional[str] = None
    channels_last: bool = False

    def __post_init__(self) -> None:
        if self.pool not in _POOLS:
            raise ValueError(f'pool must be one of {_POOLS}, got {self.pool!r} for {self.path!r}')
        if self.channels_last and (self.pool or self.skip_tokens):
            raise ValueError(f'{self.path!r}: channels_last flattens the feature to tokens and '
                             'cannot be combined with pool or skip_tokens')

    def reduce(self, feature: torch.Tensor) -> torch.Tensor:
        """Apply ``channels_last``, ``skip_tokens`` and ``pool``.

        Args:
            feature (Tensor): (B, C), (B, N, C) or (B, C, H, W); (..., C) with ``channels_last``.

        Returns:
            Tensor: the feature after dropping tokens and pooling: (B, C) when pooled,
            (M, C) with ``channels_last``.
        """
        if self.channels_last:
            # [..., C] -> [M, C]
            return feature.reshape(-1, feature.shape[-1])
        if self.skip_tokens:
            if feature.dim() != 3:
                raise ValueError(f'skip_tokens needs a (B, N, C) feature but {self.path!r} gives '
                                 f'shape {tuple(feature.shape)}')
            feature = feature[:, self.skip_tokens:]
        if self.pool == 'avg':
            if feature.dim() == 3:
                # [B, N, C] -> [B, C]
                return feature.mean(1)
            if feature.dim() == 4:
                # [B, C, H, W] -> [B, C]
                return feature.mean((2, 3))
        return feature
