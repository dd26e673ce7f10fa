"""MLP projector (the paper's Fig. 5 comparison; the V_kD paper-era code's ``MLPProjector``)."""
from typing import Optional

import torch
from torch import nn

from vkd_mm.registry import MODELS
from .base import TokenProjector

__all__ = ['MLPProjector']


@MODELS.register_module()
class MLPProjector(TokenProjector):
    """Linear-BN-ReLU blocks followed by a final linear layer, applied to every token.

    Args:
        in_channels (int): student width d_s.
        out_channels (int): teacher width d_t.
        hidden_channels (int, optional): width of the hidden layers. Default: d_t.
        num_hidden_layers (int): Linear-BN-ReLU blocks before the last linear layer. Default: 2.
    """

    def __init__(self,
                 in_channels: int,
                 out_channels: int,
                 hidden_channels: Optional[int] = None,
                 num_hidden_layers: int = 2) -> None:
        super().__init__(in_channels, out_channels)
        hidden_channels = hidden_channels or out_channels
        layers = []
        width = in_channels
        for _ in range(num_hidden_layers):
            layers += [
                nn.Linear(width, hidden_channels, bias=False),
                nn.BatchNorm1d(hidden_channels),
                nn.ReLU(inplace=True)
            ]
            width = hidden_channels
        layers.append(nn.Linear(width, out_channels))
        self.layers = nn.Sequential(*layers)

    def project_tokens(self, tokens: torch.Tensor) -> torch.Tensor:
        return self.layers(tokens)
