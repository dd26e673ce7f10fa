"""WKD-F: Wasserstein-distance knowledge distillation on feature maps.

Paper: "Wasserstein Distance Rivals Kullback-Leibler Divergence for Knowledge Distillation",
Lv, Yang, Li, NeurIPS 2024, https://arxiv.org/abs/2412.08139. Official code:
https://github.com/JiamingLv/WKD (``mdistiller/distillers/WKD.py``).

WKD-F models each channel of a spatial cell as a Gaussian (mean and standard deviation over the
cell) and compares student and teacher with the closed-form 2-Wasserstein distance between
diagonal Gaussians.
"""
import torch
from torch import nn
from torch.nn import functional as F

from vkd_mm.registry import MODELS

__all__ = ['grid_gaussian_stats', 'wkd_feature_loss', 'WKDFeatureLoss']


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
