"""The interface of the orthogonal maps: a parameterised (d_t, d_s) matrix with orthonormal rows
or columns that can also apply itself to tokens."""
import torch
from torch import nn

__all__ = ['OrthogonalMap']


class OrthogonalMap(nn.Module):
    """Base class: a parameterised (d_t, d_s) matrix with orthonormal rows or columns.

    Args:
        in_channels (int): student width d_s.
        out_channels (int): teacher width d_t.
    """

    def __init__(self, in_channels: int, out_channels: int) -> None:
        super().__init__()
        if in_channels <= 0 or out_channels <= 0:
            raise ValueError(f'channel counts must be positive, got in_channels={in_channels}, '
                             f'out_channels={out_channels}')
        self.in_channels = in_channels
        self.out_channels = out_channels

    @property
    def is_tall(self) -> bool:
        """True when P has orthonormal columns (d_s <= d_t)."""
        return self.in_channels <= self.out_channels

    def matrix(self) -> torch.Tensor:
        """The projection matrix P, shape (d_t, d_s)."""
        raise NotImplementedError

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        """Apply P to tokens.

        Args:
            tokens (Tensor): (M, d_s).

        Returns:
            Tensor: tokens @ P^T, shape (M, d_t).
        """
        return tokens @ self.matrix().t()

    def extra_repr(self) -> str:
        return f'in_channels={self.in_channels}, out_channels={self.out_channels}'
