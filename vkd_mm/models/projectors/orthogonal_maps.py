"""Maps from free parameters to matrices with orthonormal rows or columns.

Each map owns its parameter and returns the projection matrix P of shape (d_t, d_s) (teacher
width x student width). P has orthonormal columns (P^T P = I) when d_s <= d_t and orthonormal
rows (P P^T = I) when d_s > d_t. Every map can also apply P to a matrix of tokens, which lets the
cheap maps avoid forming P at all.

- :class:`MatrixExpMap` (``matrix_exp``) is the paper's map (V_kD, eq. 5): exp of a
  skew-symmetric n x n matrix S = [[A, -B^T], [B, 0]] (n = max(d_s, d_t), k = min(d_s, d_t),
  n k parameters, the family of torch's ``orthogonal(..., orthogonal_map='matrix_exp')``), then
  its first k columns, computed from 2k x 2k quantities only (the thin form of Edelman, Arias and
  Smith). Cost: O(k^3) per Taylor term plus two (n - k, k, k) products.
- :class:`FullMatrixExpMap` (``matrix_exp_full``): the literal n x n generator this package used
  as ``matrix_exp`` before; kept to load its checkpoints. Cost O(n^2 k) to O(n^3).
- :class:`HouseholderQRMap`: the sign-fixed Q factor of a thin Householder QR of a
  (max, min) matrix. Cost O(max * min^2).
- :class:`CholeskyQRMap`: the same Q factor (for the same parameter) computed from the Cholesky
  factor L of the min x min Gram matrix, P = W L^-T. It never forms P in the forward pass: the
  tokens go through one triangular solve and the parameter, so the extra cost over a linear layer
  is one Gram matrix (and its gradient) plus an O(min^3) factorisation.

The QR maps are invariant to a rescaling of their parameter, so weight decay only shrinks a
parameter whose image it cannot change; the matrix-exp maps decay towards the identity slice
[I; 0], which is still orthonormal.

Paper: https://arxiv.org/abs/2403.06213 (Miles, Elezi, Deng, CVPR 2024).
"""
import math
from typing import Dict, Optional, Tuple, Type

import torch
from torch import nn

__all__ = [
    'OrthogonalMap', 'MatrixExpMap', 'FullMatrixExpMap', 'HouseholderQRMap', 'CholeskyQRMap',
    'ORTHOGONAL_MAPS', 'thin_exp_factors'
]


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


_TAYLOR_THETA = 2.0  # the largest ||h T||_2 one Taylor stage of the thin map takes
_CUDA_BOUND_MARGIN = 1.25  # head-room on a bound read one step late (see MatrixExpMap)


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


def _generator_norm(skew: torch.Tensor, gram: Optional[torch.Tensor], probe: torch.Tensor,
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
                image = torch.addmm(product, gram, previous, beta=scale,
                                    alpha=-scale * previous_scale)
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


class _Gram64(torch.autograd.Function):
    """C = B^T B accumulated in float64 (orthonormality needs C to float64 accuracy), with the
    one-product float32 backward dB = B (dC + dC^T)."""

    @staticmethod
    def forward(ctx, lower: torch.Tensor) -> torch.Tensor:
        ctx.save_for_backward(lower)
        wide = lower.double()
        return wide.t() @ wide

    @staticmethod
    def backward(ctx, grad_gram: torch.Tensor) -> torch.Tensor:
        lower, = ctx.saved_tensors
        grad_gram = grad_gram.to(lower.dtype)
        return lower @ (grad_gram + grad_gram.t())


class MatrixExpMap(OrthogonalMap):
    """The paper's map in its thin form: P = exp(S)[:, :k] with S = [[A, -B^T], [B, 0]].

    n = max(d_s, d_t), k = min(d_s, d_t). The parameter ``generator`` (n, k) holds A (k x k,
    skew-symmetric, from the strict upper triangle of its first k rows) and B (its last n - k
    rows): the n k-parameter family of torch's ``orthogonal(..., orthogonal_map='matrix_exp')``,
    still the exponential of a skew-symmetric n x n matrix, then sliced. P is that slice for
    d_s <= d_t and its transpose for d_s > d_t; a square P is exp(A) (the same parameter layout
    and P as the full map, :class:`FullMatrixExpMap`).

    exp(S)[:, :k] = [M; B N] with M, N the k x k factors of :func:`thin_exp_factors`: the
    exponential is never formed at n x n, and tokens go through [M; B N] without forming it
    either when they are fewer than n - k, so what the map adds to a linear layer costs
    O(k^3) per Taylor term plus two (n - k, k, k) products (C = B^T B and its gradient). The
    Taylor sums run in float32, then one float64 Newton-Schulz step makes [M; B N] orthonormal
    to float64 round-off (:func:`_orthonormal_polish`); gradients come from the float32 sums.

    The stage count s = ceil(||S||_2 / 2) and the degree come from a power-iteration estimate
    of ||S||_2 (+5%) made on the parameter's device from A and C (:func:`_generator_norm`). On
    the CPU it is read at once; on a GPU it is read without waiting on the device, through a
    pinned copy made one call earlier (the first call waits once), with 25% head-room for the
    parameter's drift in one step.

    A checkpoint whose ``generator`` is (n, n) for a non-square P holds the parameter of
    :class:`FullMatrixExpMap`; loading it raises an error that points to
    ``orthogonal_map='matrix_exp_full'``.

    Paper: https://arxiv.org/abs/2403.06213 (eq. 5). Thin form: A. Edelman, T. A. Arias,
    S. T. Smith, "The geometry of algorithms with orthogonality constraints", SIAM J. Matrix
    Anal. Appl. 20(2), 1998 (geodesics of the Stiefel manifold).
    """

    def __init__(self, in_channels: int, out_channels: int) -> None:
        super().__init__(in_channels, out_channels)
        size, thin = max(in_channels, out_channels), min(in_channels, out_channels)
        self.generator = nn.Parameter(torch.randn(size, thin) / math.sqrt(size))
        # fixed starting vectors of the norm estimate (a buffer, so it moves with the module)
        probe = torch.randn(thin, 4, generator=torch.Generator().manual_seed(0))
        self.register_buffer('_probe', probe, persistent=False)
        self._host_bound: Optional[float] = None  # last bound read on the host
        # (event, pinned scalar) of the bound in flight, and the idle pair for the next copy
        self._pending: Optional[Tuple[torch.cuda.Event, torch.Tensor]] = None
        self._staging: Optional[Tuple[torch.cuda.Event, torch.Tensor]] = None

    def __getstate__(self) -> dict:
        # CUDA events do not copy or pickle (EMA copies, torch.save of a module)
        state = self.__dict__.copy()
        state['_pending'] = state['_staging'] = None
        return state

    def _load_from_state_dict(self, state_dict, prefix, *args, **kwargs) -> None:
        stored = state_dict.get(prefix + 'generator')
        size, thin = self.generator.shape
        if stored is not None and size != thin and tuple(stored.shape) == (size, size):
            raise RuntimeError(
                f"{prefix}generator has shape {tuple(stored.shape)}: the (n, n) generator of "
                "the full matrix-exp map that orthogonal_map='matrix_exp' used before it became "
                f"the thin map (parameter ({size}, {thin})). Build the projector with "
                "orthogonal_map='matrix_exp_full' to load this checkpoint as it was trained.")
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)

    def _read_bound(self, bound: torch.Tensor) -> float:
        """The bound on the host: at once on the CPU, one call late (+25%) on a GPU."""
        if bound.device.type != 'cuda':
            return float(bound)
        if self._pending is not None and (self._host_bound is None or self._pending[0].query()):
            self._pending[0].synchronize()  # done already, except on the first call
            self._host_bound = float(self._pending[1])
            self._staging = self._pending
            self._pending = None
        if self._pending is None:
            if self._staging is None:
                self._staging = (torch.cuda.Event(),
                                 torch.empty((), dtype=bound.dtype, pin_memory=True))
            event, staging = self._staging
            staging.copy_(bound, non_blocking=True)
            event.record()
            self._pending, self._staging = self._staging, None
        if self._host_bound is None:
            return self._read_bound(bound)
        return self._host_bound * _CUDA_BOUND_MARGIN

    def _schedule(self, skew: torch.Tensor, gram: Optional[torch.Tensor]) -> Tuple[int, int]:
        """Stage count and Taylor degree of :func:`thin_exp_factors`."""
        with torch.no_grad():
            bound = _generator_norm(skew, gram, self._probe.to(skew.dtype))
        theta = self._read_bound(bound * 1.05)
        if not math.isfinite(theta):  # a diverged generator: NaN out, not an error
            return 1, 1
        stages = max(1, math.ceil(theta / _TAYLOR_THETA))
        return stages, _taylor_degree(theta / stages, skew.dtype)

    def schedule(self) -> Tuple[int, int]:
        """(stages, Taylor degree) the current parameter takes, e.g. to count its FLOPs."""
        with torch.no_grad():
            thin = self.generator.shape[1]
            generator = self.generator.float()
            upper = generator[:thin].triu(1)
            lower = generator[thin:]
            gram = lower.t() @ lower if lower.shape[0] else None
            return self._schedule(upper - upper.t(), gram)

    def factors(self) -> Tuple[torch.Tensor, Optional[torch.Tensor], Optional[torch.Tensor]]:
        """M, N and B with exp(S)[:, :k] = [M; B N], float32.

        Returns:
            tuple: M (k, k), N (k, k) and B (n - k, k); N and B are None for a square P.
        """
        thin = self.generator.shape[1]
        generator = self.generator.float()
        # NOTE split, not two slices: its backward concatenates the two gradients instead of
        # adding two zero-padded (n, k) ones
        head, tail = generator.split([thin, generator.shape[0] - thin])
        upper = head.triu(1)
        skew = upper - upper.t()
        lower = tail if tail.shape[0] else None
        gram64 = _Gram64.apply(lower) if lower is not None else None
        gram = gram64.float() if gram64 is not None else None
        first, second = thin_exp_factors(skew, gram, *self._schedule(skew, gram))
        with torch.no_grad():
            exact_first, exact_second = _orthonormal_polish(
                first, second, gram64.detach() if gram64 is not None else None)
        first = first + (exact_first.float() - first).detach()
        if second is not None:
            second = second + (exact_second.float() - second).detach()
        return first, second, lower

    def matrix(self) -> torch.Tensor:
        with torch.autocast(device_type=self.generator.device.type, enabled=False):
            first, second, lower = self.factors()
            if lower is None:
                return first
            columns = torch.cat([first, lower @ second])  # exp(S)[:, :k], (n, k)
            return columns if self.is_tall else columns.t()

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        with torch.autocast(device_type=self.generator.device.type, enabled=False):
            first, second, lower = self.factors()
            if lower is None:
                return tokens @ first.t()
            if tokens.shape[0] > lower.shape[0]:  # forming P is the cheaper order
                columns = torch.cat([first, lower @ second])
                return tokens @ (columns.t() if self.is_tall else columns)
            if self.is_tall:
                # tokens @ [M; B N]^T = [tokens M^T, (tokens N^T) B^T]
                return torch.cat([tokens @ first.t(), (tokens @ second.t()) @ lower.t()], dim=1)
            # tokens @ [M; B N] = tokens[:, :k] M + (tokens[:, k:] B) N
            thin = first.shape[0]
            return tokens[:, :thin] @ first + (tokens[:, thin:] @ lower) @ second


class FullMatrixExpMap(OrthogonalMap):
    """The literal n x n generator: P = exp(A - A^T)[:d_t, :d_s] with A strictly upper triangular.

    This was ``matrix_exp`` before the thin map (:class:`MatrixExpMap`) took that name; it is kept
    as ``matrix_exp_full`` to load checkpoints written with its (n, n) parameter. For a thin P
    its generator family is larger than the paper's n k-parameter one, but its image is the same
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
    'matrix_exp_full': FullMatrixExpMap,
    'householder_qr': HouseholderQRMap,
    'cholesky_qr': CholeskyQRMap,
}
