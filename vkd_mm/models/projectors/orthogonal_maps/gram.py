"""The Gram matrix W^T W with a one-product backward, shared by the maps that need it."""
from typing import Optional, Tuple

import torch

__all__ = ['gram_matrix']


class _Gram(torch.autograd.Function):
    """G = W^T W accumulated in a given dtype, with the one-product backward dW = W (dG + dG^T)
    in W's dtype.

    Autograd's own backward of ``W.t() @ W`` takes two (max x min x min) products, as it does not
    know both factors are the same tensor; this halves the backward cost.
    """

    @staticmethod
    def forward(ctx, weight: torch.Tensor, dtype: torch.dtype) -> torch.Tensor:
        ctx.save_for_backward(weight)
        wide = weight.to(dtype)
        return wide.t() @ wide

    @staticmethod
    def backward(ctx, grad_gram: torch.Tensor) -> Tuple[torch.Tensor, None]:
        weight, = ctx.saved_tensors
        grad_gram = grad_gram.to(weight.dtype)
        return weight @ (grad_gram + grad_gram.t()), None


def gram_matrix(weight: torch.Tensor, dtype: Optional[torch.dtype] = None) -> torch.Tensor:
    """W^T W, differentiable with respect to W.

    Args:
        weight (Tensor): W, (rows, cols).
        dtype (torch.dtype, optional): the dtype the product is accumulated and returned in, e.g.
            float64 where the result must be exact to float64 accuracy; default W's dtype. The
            gradient is computed in W's dtype.

    Returns:
        Tensor: (cols, cols).
    """
    return _Gram.apply(weight, weight.dtype if dtype is None else dtype)
