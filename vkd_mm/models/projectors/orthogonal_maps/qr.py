"""The QR maps: P is the orthonormal factor Q of a (max(d_s, d_t), min(d_s, d_t)) parameter W.

Both are invariant to a rescaling of W, so weight decay only shrinks a parameter whose image it
cannot change. :class:`HouseholderQRMap` takes Q from a Householder QR; :class:`CholeskyQRMap`
takes the same Q from the Cholesky factor of W^T W and never forms it in the forward pass.
"""
import torch
from torch import nn

from .base import OrthogonalMap
from .gram import gram_matrix

__all__ = ['HouseholderQRMap', 'CholeskyQRMap']


def _random_orthonormal(rows: int, cols: int) -> torch.Tensor:
    """A Haar-random (rows, cols) matrix with orthonormal columns, rows >= cols."""
    q, r = torch.linalg.qr(torch.randn(rows, cols, dtype=torch.float64))
    return (q * _diag_signs(r)).float()


def _diag_signs(r: torch.Tensor) -> torch.Tensor:
    """Signs of the diagonal of R, with 0 mapped to 1, shape (n,)."""
    diagonal = r.diagonal()
    return torch.where(diagonal < 0, -torch.ones_like(diagonal), torch.ones_like(diagonal))


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


class CholeskyQRMap(_TallParameterMap):
    """Q = W L^-T with L L^T = W^T W (Cholesky QR): the same Q as :class:`HouseholderQRMap`.

    The forward pass applies Q without forming it: for d_s <= d_t, tokens @ Q^T =
    (tokens L^-1) W^T, one (M, d_s) triangular solve plus the product a linear layer does anyway.
    Cholesky QR loses orthogonality as cond(W)^2; W starts orthonormal and is only moved by the
    optimiser, so its condition number stays near 1 in practice (the diagnostics hook reports it).
    """

    def cholesky_factor(self) -> torch.Tensor:
        """Lower-triangular L of W^T W = L L^T, shape (min, min)."""
        factor, info = torch.linalg.cholesky_ex(gram_matrix(self.weight.float()))
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
        return torch.linalg.solve_triangular(factor.t(), tokens @ weight, upper=True, left=False)
