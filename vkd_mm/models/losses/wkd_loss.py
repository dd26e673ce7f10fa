"""WKD: Wasserstein-distance knowledge distillation (WKD-L for logits, WKD-F for features).

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
<P, C> is the same sum (see :func:`sinkhorn_distance`). No B x n x n tensor is ever formed.

WKD-F models each channel of a spatial cell as a Gaussian (mean and standard deviation over the
cell) and compares student and teacher with the closed-form 2-Wasserstein distance between
diagonal Gaussians.
"""
from typing import Optional, Union

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from vkd_mm.registry import MODELS

__all__ = [
    'load_cost_matrix', 'sinkhorn_distance', 'wkd_logit_loss', 'grid_gaussian_stats',
    'wkd_feature_loss', 'WKDLogitLoss', 'WKDFeatureLoss'
]

_STABILITY = 1e-8  # the official code's additive guard in every Sinkhorn division and cost


def load_cost_matrix(cost_matrix: Union[str, torch.Tensor, np.ndarray]) -> torch.Tensor:
    """Load an (n, n) category cost matrix.

    Accepts a tensor or array, a ``.npy`` file, or a ``torch.save`` file holding either a plain
    tensor (the official WKD files, saved on ``cuda:0``, are loaded onto the CPU) or a dict with
    a ``cost_matrix`` entry (the format of ``tools/wkd_cost_matrix.py``).

    Returns:
        Tensor: float32 (n, n).
    """
    if isinstance(cost_matrix, str):
        if cost_matrix.endswith('.npy'):
            cost_matrix = np.load(cost_matrix)
        else:
            cost_matrix = torch.load(cost_matrix, map_location='cpu', weights_only=True)
            if isinstance(cost_matrix, dict):
                cost_matrix = cost_matrix['cost_matrix']
    cost = torch.as_tensor(cost_matrix, dtype=torch.float32)
    if cost.dim() != 2 or cost.shape[0] != cost.shape[1]:
        raise ValueError(f'a cost matrix must be square, got shape {tuple(cost.shape)}')
    return cost


class _SharedKernelSinkhorn(torch.autograd.Function):
    """<P, C> after unrolled Sinkhorn updates, with a hand-written backward.

    Forward, for t = 1..T, with a_1 given and a_t = u_{t-1} K afterwards:
    r_t = 1 / (a_t + 1e-8), v_t = q r_t, b_t = v_t K^T, s_t = 1 / (b_t + 1e-8), u_t = p s_t;
    the distance of a row is d = sum_j (u_T (K * C))_j v_T,j.

    The backward is the exact reverse of those updates (the same gradient that autograd gives
    through the unrolled loop), written to keep the work at one GEMM per forward GEMM and a few
    in-place element-wise passes per update, with no temporaries for the division rules.
    Only ``p`` and ``q`` get gradients; the kernels and a_1 are constants.
    """

    @staticmethod
    def forward(ctx, student_probs, teacher_probs, kernel, kernel_cost, init_product,
                iterations):
        kernel_t = kernel.t()
        product = init_product
        saved = []
        for iteration in range(iterations):
            inv_a = (product + _STABILITY).reciprocal_()
            scaling_v = teacher_probs * inv_a
            inv_b = (scaling_v @ kernel_t).add_(_STABILITY).reciprocal_()
            scaling_u = student_probs * inv_b
            saved.append((inv_a, scaling_v, inv_b, scaling_u))
            if iteration + 1 < iterations:
                product = scaling_u @ kernel
        transported = scaling_u @ kernel_cost
        ctx.save_for_backward(kernel, kernel_cost, transported,
                              *[tensor for step in saved for tensor in step])
        return (transported * scaling_v).sum(1)

    @staticmethod
    @torch.autograd.function.once_differentiable
    def backward(ctx, grad_distance):
        kernel, kernel_cost, transported, *saved = ctx.saved_tensors
        steps = [saved[i:i + 4] for i in range(0, len(saved), 4)]
        grad_distance = grad_distance[:, None]
        want_q = ctx.needs_input_grad[1]
        grad_p = torch.zeros_like(transported)
        grad_q = torch.zeros_like(transported) if want_q else None
        # d = sum_j (u_T (K * C))_j v_T,j
        grad_u = (grad_distance * steps[-1][1]) @ kernel_cost.t()
        grad_v_from_distance = grad_distance * transported
        for step in reversed(range(len(steps))):
            inv_a, scaling_v, inv_b, scaling_u = steps[step]
            # u = p / (b + eps): dL/dp = dL/du / (b + eps), dL/db = -dL/du u / (b + eps)
            grad_p.addcmul_(grad_u, inv_b)
            if step == 0 and not want_q:
                break  # v_1 = q / (a_1 + eps) does not depend on p
            minus_grad_b = grad_u.mul_(scaling_u).mul_(inv_b)
            # b = v K^T: dL/dv = dL/db K, kept negated as minus_grad_v
            if step == len(steps) - 1:
                minus_grad_v = torch.addmm(grad_v_from_distance, minus_grad_b, kernel, beta=-1)
            else:
                minus_grad_v = minus_grad_b @ kernel
            if want_q:  # v = q / (a + eps)
                grad_q.addcmul_(minus_grad_v, inv_a, value=-1)
            if step == 0:
                break
            # v = q / (a + eps), a = u_prev K: dL/du_prev = (-dL/dv v / (a + eps)) K^T
            grad_u = minus_grad_v.mul_(scaling_v).mul_(inv_a) @ kernel.t()
        return grad_p, grad_q, None, None, None, None


def sinkhorn_distance(student_probs: torch.Tensor,
                      teacher_probs: torch.Tensor,
                      kernel: torch.Tensor,
                      kernel_cost: torch.Tensor,
                      init_scaling: Optional[torch.Tensor] = None,
                      iterations: int = 10,
                      init_product: Optional[torch.Tensor] = None) -> torch.Tensor:
    """Entropic OT distance <P, C> between batches of histograms that share one kernel.

    The plan is P = diag(u) K diag(v) after ``iterations`` Sinkhorn updates
    v = q / (K^T u + 1e-8), u = p / (K v + 1e-8), starting from ``init_scaling``; the distance is
    sum_ij P_ij C_ij = sum_j (u^T (K * C))_j v_j. A class whose mass and initial scaling are 0 in
    a row stays out of that row's problem exactly (its u and v entries remain 0), which is how
    the target class is removed. Gradients flow through every update into ``student_probs`` and
    ``teacher_probs`` (the unrolled-loop gradient, as the official code); the kernels and the
    initial scaling are constants.

    Args:
        student_probs (Tensor): p, (B, n), the row marginals (the official ``w1``).
        teacher_probs (Tensor): q, (B, n), the column marginals (``w2``).
        kernel (Tensor): K = exp(-C / eps), (n, n).
        kernel_cost (Tensor): K * C, (n, n).
        init_scaling (Tensor, optional): u_0, (B, n); not needed with ``init_product``.
        iterations (int): Sinkhorn iterations. Default: 10 (official).
        init_product (Tensor, optional): u_0^T K, (B, n), when the caller has it more cheaply
            than the product (for WKD-L's u_0 it is a column sum minus one row of K).

    Returns:
        Tensor: the distance of each row, (B, ).
    """
    if iterations < 1:
        raise ValueError(f'sinkhorn_distance needs at least one iteration, got {iterations}')
    constants = dict(kernel=kernel, kernel_cost=kernel_cost, init_scaling=init_scaling,
                     init_product=init_product)
    learnable = [name for name, value in constants.items()
                 if value is not None and value.requires_grad]
    if learnable:
        raise ValueError(f'sinkhorn_distance treats {", ".join(learnable)} as constants; '
                         'detach them (only the marginals get gradients)')
    if init_product is None:
        if init_scaling is None:
            raise ValueError('sinkhorn_distance needs init_scaling or init_product')
        init_product = init_scaling @ kernel
    return _SharedKernelSinkhorn.apply(student_probs, teacher_probs, kernel, kernel_cost,
                                       init_product, iterations)


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
        student_probs = F.softmax((student_logits / temperature).masked_fill(target, -torch.inf),
                                  1)
        teacher_probs = F.softmax((teacher_logits / temperature).masked_fill(target, -torch.inf),
                                  1)
        kernel = kernel.to(dtype)
        # u_0^T K without a product: u_0 is 1 / (n - 1) off the target and 0 on it
        init_product = (kernel.sum(0) - kernel[labels[:, 0]]) / (classes - 1)
        distance = sinkhorn_distance(student_probs, teacher_probs, kernel, kernel_cost.to(dtype),
                                     iterations=iterations, init_product=init_product)
    return loss_target, distance.mean()


@MODELS.register_module()
class WKDLogitLoss(nn.Module):
    """WKD-L: NKD target term + weighted Sinkhorn distance between non-target distributions.

    Called as ``loss(student_logits, teacher_logits, labels)``. The official ImageNet
    ResNet34 -> ResNet18 setting is ``temperature=2, loss_weight=30, sinkhorn_eps=0.05,
    sinkhorn_iters=10, sharpen=1`` with the shipped ``logit_linear_cka.pth`` costs.

    Args:
        cost_matrix (str | Tensor): (n, n) category distances, see :func:`load_cost_matrix`.
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
        cost = cost.clamp_min(0) + _STABILITY
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
        loss_target, distance = wkd_logit_loss(student_logits, teacher_logits, labels,
                                               self.kernel, self.kernel_cost, self.temperature,
                                               self.sinkhorn_iters)
        return self.target_weight * loss_target + self.loss_weight * distance

    def extra_repr(self) -> str:
        return (f'classes={self.kernel.shape[0]}, temperature={self.temperature}, '
                f'loss_weight={self.loss_weight}, sinkhorn_eps={self.sinkhorn_eps}, '
                f'sinkhorn_iters={self.sinkhorn_iters}, sharpen={self.sharpen}')


def grid_gaussian_stats(feature: torch.Tensor, grid: int, eps: float = 1e-5):
    """Per-channel mean and standard deviation of each cell of a grid over a feature map.

    Cells are adaptive-pooling bins (rows floor(a H / g) to ceil((a + 1) H / g)), so they may
    overlap, as in the official code; the variance is unbiased.

    Args:
        feature (Tensor): (B, C, H, W).
        grid (int): g, the number of cells per side.
        eps (float): added to the variance before the square root. Default: 1e-5.

    Returns:
        tuple: mean and std, each (B, C, g, g).
    """
    height, width = feature.shape[-2:]
    mean = F.adaptive_avg_pool2d(feature, grid)
    mean_square = F.adaptive_avg_pool2d(feature.square(), grid)
    rows = torch.tensor([-(-(a + 1) * height // grid) - a * height // grid for a in range(grid)])
    cols = torch.tensor([-(-(b + 1) * width // grid) - b * width // grid for b in range(grid)])
    counts = (rows[:, None] * cols[None, :]).to(feature)
    if (counts < 2).any():
        raise ValueError(f'a {grid} x {grid} grid over a {height} x {width} map has cells of one '
                         'position, whose variance is undefined; use a smaller grid')
    variance = (mean_square - mean.square()).clamp_min(0) * counts / (counts - 1)
    return mean, (variance + eps).sqrt()


def wkd_feature_loss(student: torch.Tensor,
                     teacher: torch.Tensor,
                     grid: int = 4,
                     mean_weight: float = 2.0,
                     eps: float = 1e-5) -> torch.Tensor:
    """W2^2 between per-cell diagonal Gaussians, ``mean_weight`` * mean term + std term.

    Args:
        student (Tensor): projected student feature, (B, C, H, W).
        teacher (Tensor): teacher feature, (B, C, H, W).
        grid (int): cells per side. Default: 4.
        mean_weight (float): weight of the mean term (official MEAN_COV_RATIO). Default: 2.0.
        eps (float): variance guard. Default: 1e-5.

    Returns:
        Tensor: scalar, summed over channels and cells, averaged over the batch and the cells.
    """
    with torch.autocast(device_type=student.device.type, enabled=False):
        student_mean, student_std = grid_gaussian_stats(student.float(), grid, eps)
        teacher_mean, teacher_std = grid_gaussian_stats(teacher.float().detach(), grid, eps)
        normaliser = student.shape[0] * grid * grid
        mean_term = (student_mean - teacher_mean).square().sum() / normaliser
        std_term = (student_std - teacher_std).square().sum() / normaliser
    return mean_weight * mean_term + std_term


@MODELS.register_module()
class WKDFeatureLoss(nn.Module):
    """WKD-F: Gaussian 2-Wasserstein distance between per-cell channel statistics.

    Called as ``loss(projected_student, teacher)`` on (B, C, H, W) maps. The official ImageNet
    ResNet34 -> ResNet18 setting is ``loss_weight=0.02, mean_weight=2, grid=4`` on the last
    stage, with the student going through :class:`ConvBottleneckProjector`.

    Args:
        loss_weight (float): weight of the distance; the cosine-decay hook changes it. Default:
            0.02.
        mean_weight (float): weight of the mean term relative to the std term. Default: 2.0.
        grid (int): cells per side. Default: 4.
        eps (float): variance guard. Default: 1e-5.
    """

    loss_name = 'wkdf'

    def __init__(self,
                 loss_weight: float = 0.02,
                 mean_weight: float = 2.0,
                 grid: int = 4,
                 eps: float = 1e-5) -> None:
        super().__init__()
        self.loss_weight = loss_weight
        self.mean_weight = mean_weight
        self.grid = grid
        self.eps = eps

    def forward(self, student: torch.Tensor, teacher: torch.Tensor) -> torch.Tensor:
        if student.dim() != 4 or student.shape != teacher.shape:
            raise ValueError(f'WKDFeatureLoss needs two (B, C, H, W) maps of one shape, got '
                             f'{tuple(student.shape)} and {tuple(teacher.shape)}')
        return self.loss_weight * wkd_feature_loss(student, teacher, self.grid, self.mean_weight,
                                                   self.eps)

    def extra_repr(self) -> str:
        return (f'loss_weight={self.loss_weight}, mean_weight={self.mean_weight}, '
                f'grid={self.grid}')

