"""The base class of V_kD's feature normalisers: tokens in, tokens out, in float32.

The paper normalises the teacher's features before the student is matched to them: with
standardisation for discriminative tasks (:mod:`.standardize`) and with whitening for generative
ones (:mod:`.sample_whiten`, the paper's; :mod:`.whiten`, of the channels). Every normaliser
takes (B, C), (B, N, C) or (B, C, H, W), treats the tokens of the whole batch as samples of a
C-dimensional feature, returns the same layout, and computes in float32 (float64 for the
eigendecompositions) even under autocast. None has learnable
parameters; only :class:`RunningWhiten` keeps statistics (buffers, saved in checkpoints).

A normaliser with batch statistics warns once (:class:`DegenerateStatisticsWarning`) when a
batch has too few tokens for them, naming its ``owner`` (the distillation pair and side).
"""
import warnings
from typing import Optional

import torch
from torch import nn

from ..tokens import from_tokens, to_tokens

__all__ = ['FeatureNormalizer', 'DegenerateStatisticsWarning']


class DegenerateStatisticsWarning(UserWarning):
    """A batch has fewer tokens than a normaliser's statistics need."""


class FeatureNormalizer(nn.Module):
    """Base class: flattens to tokens (M, C), normalises in float32, restores the layout.

    ``owner`` names the normaliser in warnings; a distiller sets it to its pair and side.
    """

    def __init__(self) -> None:
        super().__init__()
        self.owner = type(self).__name__
        self._warned = False

    def normalize_tokens(self, tokens: torch.Tensor) -> torch.Tensor:
        """Args: tokens (Tensor): (M, C) float32. Returns: Tensor: (M, C)."""
        raise NotImplementedError

    def degenerate(self, samples: int, channels: int) -> Optional[str]:
        """Why a batch of ``samples`` tokens is too small for the statistics ('got ...'), or
        None."""
        return None

    def warn_once(self, reason: str) -> None:
        """Warn, the first time only, that a batch is too small: ``reason`` ('got ...')."""
        if self._warned:
            return
        self._warned = True
        name = type(self).__name__
        who = name if self.owner == name else f'{self.owner}: {name}'
        warnings.warn(f'{who} {reason} (warned once)', DegenerateStatisticsWarning, stacklevel=3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Args: x (Tensor): (B, C), (B, N, C) or (B, C, H, W).

        Returns: Tensor: same shape, fp32.
        """
        tokens, shape = to_tokens(x)
        if not self._warned:
            reason = self.degenerate(*tokens.shape)
            if reason is not None:
                self.warn_once(reason)
        with torch.autocast(device_type=x.device.type, enabled=False):
            return from_tokens(self.normalize_tokens(tokens.float()), shape)
