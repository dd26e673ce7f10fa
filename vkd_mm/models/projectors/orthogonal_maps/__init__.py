"""Maps from free parameters to matrices with orthonormal rows or columns.

Each map owns its parameter and returns the projection matrix P of shape (d_t, d_s) (teacher
width x student width). P has orthonormal columns (P^T P = I) when d_s <= d_t and orthonormal
rows (P P^T = I) when d_s > d_t. Every map can also apply P to a matrix of tokens, which lets the
cheap maps avoid forming P at all (:class:`OrthogonalMap`, ``base.py``).

- ``matrix_exp`` (:class:`MatrixExpMap`, ``matrix_exp.py`` on ``thin_exp.py``) is the paper's map
  (V_kD, eq. 5): exp of a skew-symmetric n x n matrix S = [[A, -B^T], [B, 0]]
  (n = max(d_s, d_t), k = min(d_s, d_t), n k parameters, the family of torch's
  ``orthogonal(..., orthogonal_map='matrix_exp')``), then its first k columns, computed from
  2k x 2k quantities only (the thin form of Edelman, Arias and Smith). Cost: O(k^3) per Taylor
  term plus two (n - k, k, k) products.
- ``matrix_exp_full`` (:class:`FullMatrixExpMap`, ``full_exp.py``): the same exponential from a
  literal n x n generator. Cost O(n^2 k) to O(n^3).
- ``householder_qr`` (:class:`HouseholderQRMap`, ``qr.py``): the sign-fixed Q factor of a thin
  Householder QR of a (max, min) matrix. Cost O(max * min^2).
- ``cholesky_qr`` (:class:`CholeskyQRMap`, ``qr.py``): the same Q factor (for the same
  parameter) computed from the Cholesky factor L of the min x min Gram matrix, P = W L^-T. It
  never forms P in the forward pass: the tokens go through one triangular solve and the
  parameter, so the extra cost over a linear layer is one Gram matrix (and its gradient,
  ``gram.py``) plus an O(min^3) factorisation.

The QR maps are invariant to a rescaling of their parameter, so weight decay only shrinks a
parameter whose image it cannot change; the matrix-exp maps decay towards the identity slice
[I; 0], which is still orthonormal.

Paper: https://arxiv.org/abs/2403.06213 (Miles, Elezi, Deng, CVPR 2024).
"""
from typing import Dict, Type

from .base import OrthogonalMap
from .full_exp import FullMatrixExpMap
from .matrix_exp import MatrixExpMap
from .qr import CholeskyQRMap, HouseholderQRMap

__all__ = [
    'OrthogonalMap', 'MatrixExpMap', 'FullMatrixExpMap', 'HouseholderQRMap', 'CholeskyQRMap',
    'ORTHOGONAL_MAPS'
]

# the names ``OrthogonalProjector(orthogonal_map=...)`` accepts
ORTHOGONAL_MAPS: Dict[str, Type[OrthogonalMap]] = {
    'matrix_exp': MatrixExpMap,
    'matrix_exp_full': FullMatrixExpMap,
    'householder_qr': HouseholderQRMap,
    'cholesky_qr': CholeskyQRMap,
}
