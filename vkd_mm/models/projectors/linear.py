"""Unconstrained linear projector (the paper's Fig. 5 baseline)."""
import torch
from torch import nn

from vkd_mm.registry import MODELS
from .base import TokenProjector

__all__ = ['LinearProjector']


@MODELS.register_module()
class LinearProjector(TokenProjector):
    """A plain linear map d_s -> d_t.

    Args:
        in_channels (int): student width d_s.
        out_channels (int): teacher width d_t.
        bias (bool): learn a bias. Default: False.
    """

    def __init__(self, in_channels: int, out_channels: int, bias: bool = False) -> None:
        super().__init__(in_channels, out_channels)
        self.linear = nn.Linear(in_channels, out_channels, bias=bias)

    @property
    def weight(self) -> torch.Tensor:
        """The projection matrix, shape (d_t, d_s)."""
        return self.linear.weight

    def project_tokens(self, tokens: torch.Tensor) -> torch.Tensor:
        return self.linear(tokens)
