"""Projector ensemble: the mean of several independently initialised projectors.

Chen et al., "Improved Feature Distillation via Projector Ensemble", NeurIPS 2022,
https://arxiv.org/abs/2210.15274; one of the projectors the V_kD paper compares in Fig. 5.
"""
from typing import Optional

import torch
from torch import nn

from vkd_mm.registry import MODELS
from .base import TokenProjector

__all__ = ['ProjectorEnsemble']


@MODELS.register_module()
class ProjectorEnsemble(TokenProjector):
    """Averages the outputs of ``num_projectors`` projectors built from one config.

    Args:
        in_channels (int): student width d_s.
        out_channels (int): teacher width d_t.
        num_projectors (int): ensemble size. Default: 3.
        projector (dict, optional): config of each member, without the channel counts.
            Default: ``dict(type='MLPProjector', num_hidden_layers=1)``.
    """

    def __init__(self,
                 in_channels: int,
                 out_channels: int,
                 num_projectors: int = 3,
                 projector: Optional[dict] = None) -> None:
        super().__init__(in_channels, out_channels)
        projector = projector or dict(type='MLPProjector', num_hidden_layers=1)
        self.members = nn.ModuleList(
            MODELS.build(dict(projector, in_channels=in_channels, out_channels=out_channels))
            for _ in range(num_projectors))

    def project_tokens(self, tokens: torch.Tensor) -> torch.Tensor:
        return torch.stack([member.project_tokens(tokens) for member in self.members]).mean(0)
