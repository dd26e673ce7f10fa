"""Maps from free parameters to matrices with orthonormal rows or columns.

Each map owns its parameter and returns the projection matrix P of shape (d_t, d_s) (teacher
width x student width). P has orthonormal columns (P^T P = I) when d_s <= d_t and orthonormal
rows (P P^T = I) when d_s > d_t. Every map can also apply P to a matrix of tokens, which lets the
cheap maps avoid forming P at all.

- :class:`MatrixExpMap` is the paper's map (V_kD, eq. 5): exp of a skew-symmetric
  max(d_s, d_t)-square matrix, then sliced. For a square or nearly square P the whole
  exponential is taken (``torch.linalg.matrix_exp``, a Pade approximant with scaling and
  squaring; cost O(max^3)); for a thin P only its columns are, by a scaled Taylor series
  applied to the identity slice (cost O(max^2 min) per term).
- :class:`HouseholderQRMap`: the sign-fixed Q factor of a thin Householder QR of a
  (max, min) matrix. Cost O(max * min^2).
- :class:`CholeskyQRMap`: the same Q factor (for the same parameter) computed from the Cholesky
  factor L of the min x min Gram matrix, P = W L^-T. It never forms P in the forward pass: the
  tokens go through one triangular solve and the parameter, so the extra cost over a linear layer
  is one Gram matrix (and its gradient) plus an O(min^3) factorisation.

The QR maps are invariant to a rescaling of their parameter, so weight decay only shrinks a
parameter whose image it cannot change; the matrix-exp map decays towards the identity slice
[I; 0], which is still orthonormal.

Paper: https://arxiv.org/abs/2403.06213 (Miles, Elezi, Deng, CVPR 2024).
"""
import math
from typing import Dict, Optional, Tuple, Type

import torch
from torch import nn

__all__ = ['OrthogonalMap', 'MatrixExpMap', 'HouseholderQRMap', 'CholeskyQRMap', 'ORTHOGONAL_MAPS']


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


def _random_orthonormal(rows: int, cols: int) -> torch.Tensor:
    """A Haar-random (rows, cols) matrix with orthonormal columns, rows >= cols."""
    q, r = torch.linalg.qr(torch.randn(rows, cols, dtype=torch.float64))
    return (q * _diag_signs(r)).float()


def _diag_signs(r: torch.Tensor) -> torch.Tensor:
    """Signs of the diagonal of R, with 0 mapped to 1, shape (n,)."""
    diagonal = r.diagonal()
    return torch.where(diagonal < 0, -torch.ones_like(diagonal), torch.ones_like(diagonal))


class _SkewExp(torch.autograd.Function):
    """exp(S) of a skew-symmetric S: forward in float64, backward in float32.

    The forward precision decides how orthonormal the result is (float32 leaves errors above
    1e-5 from n = 256 on); the gradient needs no more than float32. The backward is the Frechet
    derivative of exp at S^T applied to the incoming gradient, read off the upper-right block of
    exp([[S^T, G], [0, S^T]]), as torch's own backward of ``matrix_exp`` does, except that G is
    first scaled to unit 1-norm and the block scaled back: the derivative is linear in G, and a
    large G would otherwise inflate the block's norm, and with it the squarings and the
    rounding error (at n = 256: 25 -> 17 ms, relative error 1e-4 -> 5e-6).
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
    vectors = torch.randn(skew.shape[0], 4, generator=generator, dtype=skew.dtype,
                          device=skew.device)
    for _ in range(iterations):
        vectors = skew @ vectors
        vectors = vectors / vectors.norm(dim=0, keepdim=True).clamp_min(1e-300)
    return (skew @ vectors).norm(dim=0).max().item()


def _taylor_stage(scaled: torch.Tensor, block: torch.Tensor, degree: Optional[int] = None,
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


class MatrixExpMap(OrthogonalMap):
    """The paper's map: P = exp(A - A^T)[:d_t, :d_s] with A strictly upper triangular.

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


class _TallParameterMap(OrthogonalMap):
    """Shared parameter of the QR maps: W of shape (max(d_s, d_t), min(d_s, d_t)).

    P is the orthonormal factor of W when d_s <= d_t, and its transpose otherwise. W starts at a
    Haar-random point of the Stiefel manifold, where its Gram matrix is the identity.
    """

    def __init__(self, in_channels: int, out_channels: int) -> None:
        super().__init__(in_channels, out_channels)
        rows, cols = max(in_channels, out_channels), min(in_channels, out_channels)
        self.weight = nn.Parameter(_random_orthonormal(rows, cols))

    def orthonormal_factor(self) -> torch.Tensor:
        """Q with Q^T Q = I, shape (max, min)."""
        raise NotImplementedError

    def matrix(self) -> torch.Tensor:
        q = self.orthonormal_factor()
        return q if self.is_tall else q.t()


class HouseholderQRMap(_TallParameterMap):
    """Q of the thin Householder QR of W, signs fixed so that diag(R) > 0."""

    def orthonormal_factor(self) -> torch.Tensor:
        q, r = torch.linalg.qr(self.weight.float())
        return q * _diag_signs(r)


class _Gram(torch.autograd.Function):
    """G = W^T W with a one-product backward, dW = W (dG + dG^T).

    Autograd's own backward of ``W.t() @ W`` takes two (max x min x min) products, as it does not
    know both factors are the same tensor; this halves the map's backward cost.
    """

    @staticmethod
    def forward(ctx, weight: torch.Tensor) -> torch.Tensor:
        ctx.save_for_backward(weight)
        return weight.t() @ weight

    @staticmethod
    def backward(ctx, grad_gram: torch.Tensor) -> torch.Tensor:
        weight, = ctx.saved_tensors
        return weight @ (grad_gram + grad_gram.t())


class CholeskyQRMap(_TallParameterMap):
    """Q = W L^-T with L L^T = W^T W (Cholesky QR): the same Q as :class:`HouseholderQRMap`.

    The forward pass applies Q without forming it: for d_s <= d_t, tokens @ Q^T =
    (tokens L^-1) W^T, one (M, d_s) triangular solve plus the product a linear layer does anyway.
    Cholesky QR loses orthogonality as cond(W)^2; W starts orthonormal and is only moved by the
    optimiser, so its condition number stays near 1 in practice (the diagnostics hook reports it).
    """

    def cholesky_factor(self) -> torch.Tensor:
        """Lower-triangular L of W^T W = L L^T, shape (min, min)."""
        factor, info = torch.linalg.cholesky_ex(_Gram.apply(self.weight.float()))
        if int(info) != 0:
            raise FloatingPointError(
                'CholeskyQRMap: the Gram matrix of the projector parameter is not positive '
                'definite (the parameter lost rank); use orthogonal_map="householder_qr"')
        return factor

    def orthonormal_factor(self) -> torch.Tensor:
        # Q L^T = W  ->  Q = W L^-T
        return torch.linalg.solve_triangular(
            self.cholesky_factor().t(), self.weight.float(), upper=True, left=False)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        factor = self.cholesky_factor()
        weight = self.weight.float()
        if self.is_tall:
            # tokens @ (W L^-T)^T = (tokens L^-1) W^T
            whitened = torch.linalg.solve_triangular(factor, tokens, upper=False, left=False)
            return whitened @ weight.t()
        # tokens @ (W L^-T) = (tokens W) L^-T
        return torch.linalg.solve_triangular(
            factor.t(), tokens @ weight, upper=True, left=False)


ORTHOGONAL_MAPS: Dict[str, Type[OrthogonalMap]] = {
    'matrix_exp': MatrixExpMap,
    'householder_qr': HouseholderQRMap,
    'cholesky_qr': CholeskyQRMap,
}
