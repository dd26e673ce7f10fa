"""Category interrelations for WKD-L: 1 - linear CKA between the classes' teacher outputs.

For class i, F_i is an (m, d) matrix of teacher outputs (logits or pooled features) of m
training images of that class. The distance of classes i and j is 1 - CKA(F_i, F_j) with the
linear, pre-centred CKA of Kornblith et al. (2019), as in WKD's ``generate_cost_matrix.py``:
CKA(X, Y) = ||Y_c^T X_c||_F^2 / (||X_c^T X_c||_F ||Y_c^T Y_c||_F), X_c = X - mean_rows(X).
Row k of class i meets row k of class j, so every class contributes the same number m of rows.
Such a matrix, computed here or shipped with the official code, is read by
:func:`load_cost_matrix`.
"""
from typing import Union

import numpy as np
import torch

__all__ = ['linear_cka', 'category_cost_matrix', 'load_cost_matrix']


def linear_cka(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Linear CKA of two (m, d) matrices (rows paired), a 0-d tensor in [0, 1]."""
    x = x - x.mean(0, keepdim=True)
    y = y - y.mean(0, keepdim=True)
    cross = (y.t() @ x).square().sum()
    return cross / ((x.t() @ x).norm() * (y.t() @ y).norm())


def category_cost_matrix(class_features: torch.Tensor) -> torch.Tensor:
    """All pairwise 1 - CKA distances at once.

    ||Y_c^T X_c||_F^2 = <X_c X_c^T, Y_c Y_c^T>_F, so with each class's centred Gram matrix
    G_i = X_c X_c^T (m x m) scaled to unit Frobenius norm (which equals ||X_c^T X_c||_F), the
    CKA matrix is the matrix of inner products of the flattened G_i.

    Args:
        class_features (Tensor): (n, m, d) for n classes of m rows each.

    Returns:
        Tensor: (n, n) float32 distances with a zero diagonal.
    """
    features = class_features.double()
    centred = features - features.mean(1, keepdim=True)
    grams = centred @ centred.transpose(1, 2)
    grams = grams.flatten(1)
    grams = grams / grams.norm(dim=1, keepdim=True)
    distance = 1 - grams @ grams.t()
    distance.fill_diagonal_(0)
    return distance.float()


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
