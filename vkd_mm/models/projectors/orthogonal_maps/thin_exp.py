"""The thin exponential: the first k columns of exp(S), S = [[A, -B^T], [B, 0]], from k x k blocks.

Functions only; :class:`~.matrix_exp.MatrixExpMap` is the map built on them.

Thin form: A. Edelman, T. A. Arias, S. T. Smith, "The geometry of algorithms with orthogonality
constraints", SIAM J. Matrix Anal. Appl. 20(2), 1998 (geodesics of the Stiefel manifold).
"""
from typing import Optional, Tuple

import torch

__all__ = ['thin_exp_factors']


def _taylor_degree(theta: float, dtype: torch.dtype, max_degree: int = 60) -> int:
    """The least m with the remainder of exp's degree-m Taylor series at norm theta below eps/2.

    The remainder is bounded by theta^(m+1) / (m+1)! / (1 - theta / (m+2)).
    """
    tolerance = torch.finfo(dtype).eps / 2
    next_term = 1.0
    for degree in range(1, max_degree + 1):
        next_term *= theta / (degree + 1) if degree > 1 else theta * theta / 2
        ratio = theta / (degree + 2)
        if ratio < 1 and next_term / (1 - ratio) <= tolerance:
            return degree
    return max_degree


def _generator_norm(skew: torch.Tensor,
                    gram: Optional[torch.Tensor],
                    probe: torch.Tensor,
                    iterations: int = 6) -> torch.Tensor:
    """||S||_2 of S = [[A, -B^T], [B, 0]] from A and C = B^T B, by power iteration on the device.

    S acts on [x; B y] as T = [[A, -C], [I, 0]] acts on [x; y], and ||[x; B y]||^2 =
    ||x||^2 + y^T C y, so the iteration runs on k x c blocks without B.

    Args:
        skew (Tensor): A, (k, k).
        gram (Tensor, optional): C, (k, k); None for S = A.
        probe (Tensor): starting vectors, (k, c).
        iterations (int): power steps.

    Returns:
        Tensor: a 0-dim estimate, which approaches ||S||_2 from below.
    """
    tiny = torch.finfo(skew.dtype).tiny
    if gram is None:
        vectors = probe
        for _ in range(iterations):
            vectors = skew @ vectors
            vectors = vectors / vectors.norm(dim=0).clamp_min(tiny)
        return (skew @ vectors).norm(dim=0).amax()
    # one (2k, k) x (k, c) product a step gives A x and C x; C y of the next step is this C x
    # over the same scale, y' being x
    stacked = torch.cat([skew, gram])
    thin = skew.shape[0]
    first, gram_second = probe, gram @ probe
    for step in range(iterations + 1):
        both = stacked @ first
        image = both[:thin] - gram_second
        # norms of [x'; B y'] with y' = x: ||x'||^2 + x^T C x
        norms = (image.square().sum(0) + (first * both[thin:]).sum(0)).sqrt()
        if step == iterations:
            return norms.amax()
        scale = norms.clamp_min(tiny)
        first, gram_second = image / scale, both[thin:] / scale


def thin_exp_factors(skew: torch.Tensor, gram: Optional[torch.Tensor], stages: int,
                     degree: int) -> Tuple[torch.Tensor, Optional[torch.Tensor]]:
    """The k x k factors of the first k columns of exp(S), S = [[A, -B^T], [B, 0]].

    exp(S)[:, :k] = [M; B N], where [M; N] = exp(T)[:, :k] for the 2k x 2k matrix
    T = [[A, -C], [I, 0]] and C = B^T B: S maps [X; B Y] to [A X - C Y; B X], so the columns
    of [I; 0] stay in that form. This is the thin-QR form of Edelman, Arias and Smith (B = QR,
    exp of [[A, -R^T], [R, 0]]) written through C = R^T R, so it needs no QR and no inverse and
    holds as it is when B has rank < k. Each of the s stages sums the degree-m Taylor series of
    exp(T / s) applied to the current block, two k x k x k products per term, in the inputs'
    dtype; autograd differentiates it.

    Args:
        skew (Tensor): A, (k, k), skew-symmetric.
        gram (Tensor, optional): C = B^T B, (k, k); None when P is square (then M = exp(A)).
        stages (int): s, with ||T / s||_2 about 2 or less.
        degree (int): m, the Taylor degree of each stage.

    Returns:
        tuple: M, (k, k), and N, (k, k) or None.
    """
    step = 1.0 / stages
    first = torch.eye(skew.shape[0], dtype=skew.dtype, device=skew.device)
    second = None  # the first stage starts from [I; 0]
    for stage in range(stages):
        # terms [x_j; y_j] with x_(j+1) = c_(j+1) (A x_j - C y_j), y_(j+1) = c_(j+1) x_j and
        # c_j = step / j, so y_j = c_j x_(j-1) for j >= 1 is never stored: one product with A
        # and one with C per term, the second folded into addmm
        term, previous, previous_scale = first, None, 0.0
        total_first, total_second = first, second
        for order in range(1, degree + 1):
            scale = step / order
            # x_0 = I in the first stage: A x_0 needs no product
            product = skew if stage == 0 and order == 1 else skew @ term
            if gram is None:
                image = product * scale
            elif order > 1:
                image = torch.addmm(
                    product, gram, previous, beta=scale, alpha=-scale * previous_scale)
            elif second is not None:
                image = torch.addmm(product, gram, second, beta=scale, alpha=-scale)
            else:
                image = product * scale
            if gram is not None:  # y_order = c_order x_(order-1)
                total_second = term * scale if total_second is None else \
                    torch.add(total_second, term, alpha=scale)
            total_first = total_first + image
            term, previous, previous_scale = image, term, scale
        first, second = total_first, total_second
    return first, second


def _orthonormal_polish(
        first: torch.Tensor, second: Optional[torch.Tensor],
        gram: Optional[torch.Tensor]) -> Tuple[torch.Tensor, Optional[torch.Tensor]]:
    """One Newton-Schulz step towards M^T M + N^T C N = I, in float64.

    With G = M^T M + N^T C N = I + D, [M; N] (3 I - G) / 2 has G = I - 3 D^2 / 4 + O(D^3): a
    float32 Taylor sum (D about 1e-7) comes out orthonormal to float64 round-off, while its
    value moves by D, below float32's own resolution of it.
    """
    first = first.double()
    metric = first.t() @ first
    if second is not None:
        second = second.double()
        metric = metric + second.t() @ (gram @ second)
    factor = 1.5 * torch.eye(metric.shape[0], dtype=metric.dtype, device=metric.device) \
        - 0.5 * metric
    return first @ factor, (second @ factor if second is not None else None)
