"""Entropic optimal transport between batches of histograms that share one Sinkhorn kernel.

The solver unrolls a fixed number of Sinkhorn updates, as WKD's official code does
(``mdistiller/distillers/WKD.py``, https://github.com/JiamingLv/WKD), and backpropagates through
them with a hand-written backward that gives the unrolled-loop gradient.
"""
from typing import Optional

import torch

__all__ = ['SINKHORN_GUARD', 'sinkhorn_distance']

SINKHORN_GUARD = 1e-8  # the official code's additive guard in every Sinkhorn division and cost


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
    def forward(ctx, student_probs, teacher_probs, kernel, kernel_cost, init_product, iterations):
        kernel_t = kernel.t()
        product = init_product
        saved = []
        for iteration in range(iterations):
            inv_a = (product + SINKHORN_GUARD).reciprocal_()
            scaling_v = teacher_probs * inv_a
            inv_b = (scaling_v @ kernel_t).add_(SINKHORN_GUARD).reciprocal_()
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
    WKD-L removes the target class. Gradients flow through every update into ``student_probs``
    and ``teacher_probs`` (the unrolled-loop gradient, as the official code); the kernels and the
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
    constants = dict(
        kernel=kernel,
        kernel_cost=kernel_cost,
        init_scaling=init_scaling,
        init_product=init_product)
    learnable = [
        name for name, value in constants.items() if value is not None and value.requires_grad
    ]
    if learnable:
        raise ValueError(f'sinkhorn_distance treats {", ".join(learnable)} as constants; '
                         'detach them (only the marginals get gradients)')
    if init_product is None:
        if init_scaling is None:
            raise ValueError('sinkhorn_distance needs init_scaling or init_product')
        init_product = init_scaling @ kernel
    return _SharedKernelSinkhorn.apply(student_probs, teacher_probs, kernel, kernel_cost,
                                       init_product, iterations)
