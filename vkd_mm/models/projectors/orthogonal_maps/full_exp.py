"""The literal n x n exponential: P = exp(S)[:d_t, :d_s] of an n x n skew-symmetric parameter.

The paper's eq. 5 written as it reads, with n^2 parameters, evaluated exactly (float64 value,
float32 gradient) either by a scaled Taylor series on the k needed columns or by the whole
exponential. :class:`~.matrix_exp.MatrixExpMap` computes the same kind of matrix from n k
parameters and k x k blocks; this map is the reference it is measured against
(``benchmarks/bench_projectors.py``).

Paper: https://arxiv.org/abs/2403.06213 (Miles, Elezi, Deng, CVPR 2024), eq. 5.
"""
import math
from typing import Optional, Tuple

import torch
from torch import nn

from .base import OrthogonalMap

__all__ = ['FullMatrixExpMap', 'skew_exp_columns']


class _SkewExp(torch.autograd.Function):
    """exp(S) of a skew-symmetric S: forward in float64, backward in float32.

    The forward precision decides how orthonormal the result is (float32 leaves errors above
    1e-5 from n = 256 on); the gradient needs no more than float32. The backward is the Frechet
    derivative of exp at S^T applied to the incoming gradient, read off the upper-right block of
    exp([[S^T, G], [0, S^T]]), as torch's own backward of ``matrix_exp`` does, except that G is
    first scaled to unit 1-norm and the block scaled back: the derivative is linear in G, and a
    large G would otherwise inflate the block's norm, and with it the number of squarings
    ``matrix_exp`` takes and their rounding error.
    """

    @staticmethod
    def forward(ctx, skew: torch.Tensor) -> torch.Tensor:
        ctx.save_for_backward(skew)
        return torch.linalg.matrix_exp(skew.double()).to(skew.dtype)

    @staticmethod
    def backward(ctx, grad: torch.Tensor) -> torch.Tensor:
        skew, = ctx.saved_tensors
        size = skew.shape[0]
        block = skew.new_zeros(2 * size, 2 * size)
        block[:size, :size] = skew.t()
        block[size:, size:] = skew.t()
        scale = grad.abs().sum(0).amax().clamp_min(torch.finfo(grad.dtype).tiny)
        block[:size, size:] = grad / scale
        return torch.linalg.matrix_exp(block)[:size, size:] * scale


def _spectral_radius(skew: torch.Tensor, iterations: int = 8) -> float:
    """An estimate of ||S||_2 by block power iteration (4 fixed random vectors)."""
    generator = torch.Generator(device=skew.device).manual_seed(0)
    vectors = torch.randn(
        skew.shape[0], 4, generator=generator, dtype=skew.dtype, device=skew.device)
    for _ in range(iterations):
        vectors = skew @ vectors
        vectors = vectors / vectors.norm(dim=0, keepdim=True).clamp_min(1e-300)
    return (skew @ vectors).norm(dim=0).max().item()


def _taylor_stage(scaled: torch.Tensor,
                  block: torch.Tensor,
                  degree: Optional[int] = None,
                  max_degree: int = 100) -> Tuple[torch.Tensor, int]:
    """T_m(X) B, the degree-m Taylor series of exp(X) applied to a block.

    Args:
        scaled (Tensor): X, (n, n).
        block (Tensor): B, (n, k).
        degree (int, optional): m; None grows it until two successive terms fall below the
            unit round-off of X's dtype relative to the sum.
        max_degree (int): the most terms a growing series may take.

    Returns:
        tuple: T_m(X) B, (n, k), and m.
    """
    tolerance = torch.finfo(scaled.dtype).eps / 2
    term = total = block
    negligible = 0
    for order in range(1, (degree or max_degree) + 1):
        term = scaled @ term / order
        total = total + term
        if degree is None:
            negligible = negligible + 1 if term.norm() <= tolerance * total.norm() else 0
            if negligible == 2:
                return total, order
    if degree is None:
        raise RuntimeError(f'the Taylor series of exp did not converge in {max_degree} terms; '
                           'the generator has grown too large')
    return total, degree


def skew_exp_columns(skew: torch.Tensor, columns: int, stages: int) -> torch.Tensor:
    """exp(S)[:, :k] of a skew-symmetric S without forming exp(S).

    The value is (T(S/s))^s [I; 0] in float64 with every Taylor series summed to round-off,
    so its columns are orthonormal to float64 accuracy; the gradient is that of the same
    recursion (same degrees) in float32, through autograd. Each term is one (n, n) x (n, k)
    product, against (n, n) x (n, n) products for the whole exponential and a 2n x 2n
    exponential for its gradient, which is what makes k << n cheap.

    Args:
        skew (Tensor): S, (n, n), float32.
        columns (int): k.
        stages (int): s, with ||S / s||_2 about 2 or less.

    Returns:
        Tensor: (n, k), float32, differentiable with respect to ``skew``.
    """
    size = skew.shape[0]
    with torch.no_grad():
        scaled64 = skew.detach().double() / stages
        exact = torch.eye(size, columns, dtype=scaled64.dtype, device=scaled64.device)
        degrees = []
        for _ in range(stages):
            exact, degree = _taylor_stage(scaled64, exact)
            degrees.append(degree)
    scaled = skew / stages
    graph = torch.eye(size, columns, dtype=skew.dtype, device=skew.device)
    for degree in degrees:
        graph, _ = _taylor_stage(scaled, graph, degree)
    return graph + (exact.to(graph.dtype) - graph).detach()


class FullMatrixExpMap(OrthogonalMap):
    """The literal n x n generator: P = exp(A - A^T)[:d_t, :d_s] with A strictly upper triangular.

    Registered as ``matrix_exp_full``. For a thin P its generator family is larger than the
    paper's n k-parameter one (:class:`~.matrix_exp.MatrixExpMap`), but its image is the same
    set of matrices with orthonormal columns.

    The parameter is an n x n matrix, n = max(d_s, d_t), whose strict upper triangle holds the
    skew-symmetric generator. Its initial entries are N(0, 1/n), which gives a random rotation
    of moderate size. The exponential is always evaluated in float64 and its gradient in
    float32, in one of two exact ways:

    - k = min(d_s, d_t) <= n / 2 and s k <= n, with s = ceil(||S||_2 / 2) stages: only the k
      needed columns (or rows) are computed, by a scaled Taylor series applied to the identity
      slice (:func:`skew_exp_columns`), at O(s n^2 k) per step. This is the paper's
      DeiT-RegNet setting (192 or 384 -> 3024).
    - otherwise: the whole exponential (:class:`_SkewExp`, Pade approximant with scaling and
      squaring), at O(n^3), whose rounding in float32 would leave an orthonormality error
      above 1e-5 already at n = 256.
    """

    def __init__(self, in_channels: int, out_channels: int) -> None:
        super().__init__(in_channels, out_channels)
        size = max(in_channels, out_channels)
        self.generator = nn.Parameter(torch.randn(size, size) / math.sqrt(size))

    def matrix(self) -> torch.Tensor:
        with torch.autocast(device_type=self.generator.device.type, enabled=False):
            upper = self.generator.float().triu(1)
            skew = upper - upper.t()
            size, thin = skew.shape[0], min(self.in_channels, self.out_channels)
            if 2 * thin <= size:
                radius = _spectral_radius(skew.detach().double())
                # a non-finite generator (a diverged run) takes the Pade path and stays so
                stages = max(1, math.ceil(radius / 2)) if math.isfinite(radius) else size
                if stages * thin <= size:
                    if self.is_tall:  # exp(S)[:, :d_s]
                        return skew_exp_columns(skew, thin, stages)
                    # exp(S)[:d_t, :] = exp(S^T)[:, :d_t]^T = exp(-S)[:, :d_t]^T
                    return skew_exp_columns(-skew, thin, stages).t()
            rotation = _SkewExp.apply(skew)
            return rotation[:self.out_channels, :self.in_channels]
