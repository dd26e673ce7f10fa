"""Soft-label knowledge distillation (Hinton et al., 2015), https://arxiv.org/abs/1503.02531."""
import torch
from torch import nn
from torch.nn import functional as F

from vkd_mm.registry import MODELS

__all__ = ['kl_divergence_loss', 'KLDivergenceLoss']


def kl_divergence_loss(student_logits: torch.Tensor,
                       teacher_logits: torch.Tensor,
                       temperature: float = 1.0) -> torch.Tensor:
    """KL(softmax(t / T) || softmax(s / T)) * T^2, averaged over the batch, in float32.

    Args:
        student_logits (Tensor): (B, n).
        teacher_logits (Tensor): (B, n).
        temperature (float): T. Default: 1.0.

    Returns:
        Tensor: scalar.
    """
    with torch.autocast(device_type=student_logits.device.type, enabled=False):
        log_student = F.log_softmax(student_logits.float() / temperature, 1)
        teacher = F.softmax(teacher_logits.float().detach() / temperature, 1)
        return F.kl_div(log_student, teacher, reduction='batchmean') * temperature**2


@MODELS.register_module()
class KLDivergenceLoss(nn.Module):
    """KL divergence from the teacher's to the student's tempered class distribution.

    The V_kD classification recipe applies it (T=1, weight 1) between the DeiT distillation head
    and the teacher's logits.

    Args:
        temperature (float): T. Default: 1.0.
        loss_weight (float): multiplies the loss. Default: 1.0.
    """

    loss_name = 'kd'

    def __init__(self, temperature: float = 1.0, loss_weight: float = 1.0) -> None:
        super().__init__()
        self.temperature = temperature
        self.loss_weight = loss_weight

    def forward(self, student_logits: torch.Tensor, teacher_logits: torch.Tensor) -> torch.Tensor:
        return self.loss_weight * kl_divergence_loss(student_logits, teacher_logits,
                                                     self.temperature)

    def extra_repr(self) -> str:
        return f'temperature={self.temperature}, loss_weight={self.loss_weight}'
