"""Standardising normalisers, the teacher targets of V_kD for discriminative tasks.

The official code uses a per-sample layer norm for classification and per-channel batch
standardisation for detection.
"""
from typing import Optional

import torch
from torch import nn

from vkd_mm.registry import MODELS
from .base import FeatureNormalizer

__all__ = ['SampleLayerNorm', 'BatchStandardize']


@MODELS.register_module()
class SampleLayerNorm(FeatureNormalizer):
    """Per-token layer norm over channels, no affine (official V_kD classification target).

    Args:
        eps (float): added to the variance. Default: 1e-5 (``F.layer_norm``'s).
    """

    def __init__(self, eps: float = 1e-5) -> None:
        super().__init__()
        self.eps = eps

    def normalize_tokens(self, tokens: torch.Tensor) -> torch.Tensor:
        return nn.functional.layer_norm(tokens, tokens.shape[-1:], eps=self.eps)

    def extra_repr(self) -> str:
        return f'eps={self.eps}'


@MODELS.register_module()
class BatchStandardize(FeatureNormalizer):
    """Per-channel standardisation with the mean and std over all tokens of the batch.

    The official V_kD detection code standardises both the projected student and the teacher
    tokens this way (unbiased std, no eps); ``eps`` here keeps constant channels finite.

    Args:
        eps (float): added to the std. Default: 1e-6.
        unbiased (bool): Bessel's correction, as ``torch.std``'s default. Default: True.
    """

    def __init__(self, eps: float = 1e-6, unbiased: bool = True) -> None:
        super().__init__()
        self.eps = eps
        self.unbiased = unbiased

    def degenerate(self, samples: int, channels: int) -> Optional[str]:
        if samples >= 2:
            return None
        return (f'got {samples} token per batch: the batch mean is the '
                'token itself, so every output is zero. Use batches of 2 or more, keep more '
                'tokens (pool=None), or a per-sample normaliser (SampleLayerNorm)')

    def normalize_tokens(self, tokens: torch.Tensor) -> torch.Tensor:
        mean = tokens.mean(0, keepdim=True)
        std = tokens.std(0, unbiased=self.unbiased and tokens.shape[0] > 1, keepdim=True)
        return (tokens - mean) / (std + self.eps)

    def extra_repr(self) -> str:
        return f'eps={self.eps}, unbiased={self.unbiased}'
