"""The V_kD feature-matching loss.

Paper: "Improving Knowledge Distillation using Orthogonal Projections", Miles, Elezi, Deng,
CVPR 2024, https://arxiv.org/abs/2403.06213. The official classification and detection code
both use smooth-L1 (beta 1) with a mean reduction; the paper also states an L2 form.
"""
import torch
from torch import nn
from torch.nn import functional as F

from vkd_mm.registry import MODELS

__all__ = ['vkd_loss', 'VkDLoss']

_MODES = ('smooth_l1', 'mse')
_REDUCTIONS = ('mean', 'sum', 'none')


def _check_options(mode: str, reduction: str) -> None:
    """Raise a ValueError naming the allowed values for an unknown mode or reduction."""
    if mode not in _MODES:
        raise ValueError(f'V_kD loss mode must be one of {_MODES}, got {mode!r}')
    if reduction not in _REDUCTIONS:
        raise ValueError(f'V_kD loss reduction must be one of {_REDUCTIONS}, got {reduction!r}')


def vkd_loss(projected: torch.Tensor,
             target: torch.Tensor,
             mode: str = 'smooth_l1',
             beta: float = 1.0,
             reduction: str = 'mean') -> torch.Tensor:
    """Distance between projected student features and normalised teacher features.

    Args:
        projected (Tensor): projected student features, any shape.
        target (Tensor): normalised teacher features, the same shape.
        mode (str): ``'smooth_l1'`` or ``'mse'`` (the squared L2 distance). Default: smooth_l1.
        beta (float): smooth-L1 threshold. Default: 1.0.
        reduction (str): ``'mean'``, ``'sum'`` or ``'none'``. Default: mean.

    Returns:
        Tensor: a scalar, or the elementwise loss of the input shape for ``'none'``.

    Raises:
        ValueError: for a mode or reduction not listed above.
    """
    _check_options(mode, reduction)
    if projected.shape != target.shape:
        raise ValueError(f'projected student features {tuple(projected.shape)} and teacher '
                         f'features {tuple(target.shape)} differ in shape')
    with torch.autocast(device_type=projected.device.type, enabled=False):
        projected, target = projected.float(), target.float()
        if mode == 'smooth_l1':
            return F.smooth_l1_loss(projected, target, beta=beta, reduction=reduction)
        return F.mse_loss(projected, target, reduction=reduction)


@MODELS.register_module()
class VkDLoss(nn.Module):
    """Smooth-L1 or L2 loss between projected student and normalised teacher features.

    Args:
        mode (str): ``'smooth_l1'`` (official code) or ``'mse'``. Default: smooth_l1.
        beta (float): smooth-L1 threshold. Default: 1.0.
        loss_weight (float): multiplies the loss. Default: 1.0.
        reduction (str): ``'mean'``, ``'sum'`` or ``'none'``. Default: mean.
    """

    loss_name = 'vkd'

    def __init__(self,
                 mode: str = 'smooth_l1',
                 beta: float = 1.0,
                 loss_weight: float = 1.0,
                 reduction: str = 'mean') -> None:
        super().__init__()
        _check_options(mode, reduction)
        self.mode = mode
        self.beta = beta
        self.loss_weight = loss_weight
        self.reduction = reduction

    def forward(self, projected: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        """Args: projected, target (Tensor): same shape. Returns: Tensor: weighted loss."""
        return self.loss_weight * vkd_loss(projected, target, self.mode, self.beta, self.reduction)

    def extra_repr(self) -> str:
        return (f'mode={self.mode}, beta={self.beta}, loss_weight={self.loss_weight}, '
                f'reduction={self.reduction}')
