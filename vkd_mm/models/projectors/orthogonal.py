"""The V_kD orthogonal projector.

Paper: "Improving Knowledge Distillation using Orthogonal Projections", Miles, Elezi, Deng,
CVPR 2024, https://arxiv.org/abs/2403.06213. Official code: https://github.com/roymiles/vkd.
"""
import torch
from torch import nn

from vkd_mm.registry import MODELS
from .base import TokenProjector
from .orthogonal_maps import ORTHOGONAL_MAPS

__all__ = ['OrthogonalProjector', 'ChannelAffine']


class ChannelAffine(nn.Module):
    """Learnable per-channel scale and bias on tokens (M, C), as in the official detection code."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.ones(channels))
        self.bias = nn.Parameter(torch.zeros(channels))

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        return tokens * self.weight + self.bias


@MODELS.register_module()
class OrthogonalProjector(TokenProjector):
    """Projects student features with a matrix P of orthonormal rows or columns.

    P has shape (d_t, d_s). For d_s <= d_t its columns are orthonormal, so the projection keeps
    every inner product of the student batch (P^T P = I); for d_s > d_t its rows are orthonormal.
    Orthonormality is built into the map, so it holds after any optimiser step, weight decay
    included.

    Args:
        in_channels (int): student width d_s.
        out_channels (int): teacher width d_t.
        orthogonal_map (str): ``'matrix_exp'`` (default, the paper's exp of a skew-symmetric
            matrix then a slice), ``'cholesky_qr'`` (cheapest) or ``'householder_qr'``. See
            :mod:`vkd_mm.models.projectors.orthogonal_maps`.
        affine (bool): add a learnable per-channel scale and bias after the projection (the
            official detection code). Default: False.
    """

    def __init__(self,
                 in_channels: int,
                 out_channels: int,
                 orthogonal_map: str = 'matrix_exp',
                 affine: bool = False) -> None:
        super().__init__(in_channels, out_channels)
        if orthogonal_map not in ORTHOGONAL_MAPS:
            raise ValueError(f'unknown orthogonal_map {orthogonal_map!r}; '
                             f'choose one of {sorted(ORTHOGONAL_MAPS)}')
        self.orthogonal_map = ORTHOGONAL_MAPS[orthogonal_map](in_channels, out_channels)
        self.affine = ChannelAffine(out_channels) if affine else nn.Identity()

    @property
    def weight(self) -> torch.Tensor:
        """The projection matrix P, shape (d_t, d_s)."""
        return self.orthogonal_map.matrix()

    def project_tokens(self, tokens: torch.Tensor) -> torch.Tensor:
        return self.affine(self.orthogonal_map(tokens))
