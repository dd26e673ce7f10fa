"""WKD-L: Wasserstein-distance knowledge distillation on logits.

Paper: "Wasserstein Distance Rivals Kullback-Leibler Divergence for Knowledge Distillation",
Lv, Yang, Li, NeurIPS 2024, https://arxiv.org/abs/2412.08139. Official code:
https://github.com/JiamingLv/WKD (``mdistiller/distillers/WKD.py``).

WKD-L compares the teacher's and the student's distributions over the non-target classes with an
entropic (Sinkhorn) optimal-transport distance whose ground costs come from category
interrelations, plus the NKD target-class term. The official code deletes the target class from
every sample, which builds a B x (n-1) x (n-1) cost and kernel per batch. Here one n x n kernel is
shared by the batch and the target class is zeroed in the marginals and in the initial scaling
vector instead: with u_0 = 0 at the target, every Sinkhorn update keeps the target entries of u
and v exactly 0, so the non-target entries follow the official recursion step for step and
<P, C> is the same sum (see :func:`~vkd_mm.models.ops.sinkhorn_distance`). No B x n x n tensor
is ever formed.
"""
from typing import Union

import torch
from torch import nn
from torch.nn import functional as F

from vkd_mm.models.ops import SINKHORN_GUARD, load_cost_matrix, sinkhorn_distance
from vkd_mm.registry import MODELS

__all__ = ['wkd_logit_loss', 'WKDLogitLoss']


def wkd_logit_loss(student_logits: torch.Tensor,
                   teacher_logits: torch.Tensor,
                   labels: torch.Tensor,
                   kernel: torch.Tensor,
                   kernel_cost: torch.Tensor,
                   temperature: float = 2.0,
                   iterations: int = 10):
    """The two WKD-L terms, computed in float32 (or float64 for float64 logits).

    Args:
        student_logits (Tensor): (B, n).
        teacher_logits (Tensor): (B, n).
        labels (Tensor): (B, ) class indices, or (B, n) soft labels (their argmax is used).
        kernel (Tensor): K = exp(-C / eps), (n, n).
        kernel_cost (Tensor): K * C, (n, n).
        temperature (float): softmax temperature of the non-target distributions.
        iterations (int): Sinkhorn iterations.

    Returns:
        tuple: the NKD target term -mean_b q_y log p_y (at temperature 1) and the mean
        non-target Sinkhorn distance, both scalars.
    """
    with torch.autocast(device_type=student_logits.device.type, enabled=False):
        dtype = torch.promote_types(student_logits.dtype, torch.float32)
        student_logits = student_logits.to(dtype)
        teacher_logits = teacher_logits.to(dtype).detach()
        if labels.dim() == 2:
            labels = labels.argmax(1)
        labels = labels.long()[:, None]
        classes = student_logits.shape[1]

        teacher_target = F.softmax(teacher_logits, 1).gather(1, labels)
        loss_target = -(teacher_target * F.log_softmax(student_logits, 1).gather(1, labels)).mean()

        target = torch.zeros_like(student_logits, dtype=torch.bool).scatter_(1, labels, True)
        student_probs = F.softmax((student_logits / temperature).masked_fill(target, -torch.inf), 1)
        teacher_probs = F.softmax((teacher_logits / temperature).masked_fill(target, -torch.inf), 1)
        kernel = kernel.to(dtype)
        # u_0^T K without a product: u_0 is 1 / (n - 1) off the target and 0 on it
        init_product = (kernel.sum(0) - kernel[labels[:, 0]]) / (classes - 1)
        distance = sinkhorn_distance(
            student_probs,
            teacher_probs,
            kernel,
            kernel_cost.to(dtype),
            iterations=iterations,
            init_product=init_product)
    return loss_target, distance.mean()


@MODELS.register_module()
class WKDLogitLoss(nn.Module):
    """WKD-L: NKD target term + weighted Sinkhorn distance between non-target distributions.

    Called as ``loss(student_logits, teacher_logits, labels)``. The official ImageNet
    ResNet34 -> ResNet18 setting is ``temperature=2, loss_weight=30, sinkhorn_eps=0.05,
    sinkhorn_iters=10, sharpen=1`` with the shipped ``logit_linear_cka.pth`` costs.

    Args:
        cost_matrix (str | Tensor): (n, n) category distances, see
            :func:`~vkd_mm.models.ops.load_cost_matrix`.
        temperature (float): temperature of the non-target distributions. Default: 2.0.
        loss_weight (float): gamma, the weight of the Sinkhorn distance; the cosine-decay hook
            changes it during training. Default: 30.0.
        target_weight (float): weight of the target term (1 and never decayed officially).
        sinkhorn_eps (float): entropic regularisation, K = exp(-C / eps) (official LAMBDA).
            Default: 0.05.
        sinkhorn_iters (int): Sinkhorn iterations. Default: 10.
        sharpen (float): if non-zero, costs become 1 - exp(-sharpen * d). Default: 1.0.
    """

    loss_name = 'wkdl'
    needs_labels = True

    def __init__(self,
                 cost_matrix: Union[str, torch.Tensor],
                 temperature: float = 2.0,
                 loss_weight: float = 30.0,
                 target_weight: float = 1.0,
                 sinkhorn_eps: float = 0.05,
                 sinkhorn_iters: int = 10,
                 sharpen: float = 1.0) -> None:
        super().__init__()
        cost = load_cost_matrix(cost_matrix)
        if sharpen:
            cost = 1 - torch.exp(-sharpen * cost)
        cost = cost.clamp_min(0) + SINKHORN_GUARD
        kernel = torch.exp(-cost / sinkhorn_eps)
        # derived from the cost file, so not saved in checkpoints
        self.register_buffer('kernel', kernel, persistent=False)
        self.register_buffer('kernel_cost', kernel * cost, persistent=False)
        self.temperature = temperature
        self.loss_weight = loss_weight
        self.target_weight = target_weight
        self.sinkhorn_eps = sinkhorn_eps
        self.sinkhorn_iters = sinkhorn_iters
        self.sharpen = sharpen

    def forward(self, student_logits: torch.Tensor, teacher_logits: torch.Tensor,
                labels: torch.Tensor) -> torch.Tensor:
        """Args: logits (B, n) each, labels (B, ) or (B, n). Returns: Tensor: scalar."""
        if student_logits.shape[1] != self.kernel.shape[0]:
            raise ValueError(f'WKDLogitLoss: the logits have {student_logits.shape[1]} classes '
                             f'but the cost matrix is {self.kernel.shape[0]} x '
                             f'{self.kernel.shape[0]}')
        loss_target, distance = wkd_logit_loss(student_logits, teacher_logits, labels, self.kernel,
                                               self.kernel_cost, self.temperature,
                                               self.sinkhorn_iters)
        return self.target_weight * loss_target + self.loss_weight * distance

    def extra_repr(self) -> str:
        return (f'classes={self.kernel.shape[0]}, temperature={self.temperature}, '
                f'loss_weight={self.loss_weight}, sinkhorn_eps={self.sinkhorn_eps}, '
                f'sinkhorn_iters={self.sinkhorn_iters}, sharpen={self.sharpen}')
