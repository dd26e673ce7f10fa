"""The paper's map, P = exp(S)[:, :k], computed through the thin exponential.

Paper: https://arxiv.org/abs/2403.06213 (Miles, Elezi, Deng, CVPR 2024), eq. 5.
"""
import math
from typing import Optional, Tuple

import torch
from torch import nn

from .base import OrthogonalMap
from .gram import gram_matrix
from .thin_exp import _generator_norm, _orthonormal_polish, _taylor_degree, thin_exp_factors

__all__ = ['MatrixExpMap']

_TAYLOR_THETA = 2.0  # the largest ||h T||_2 one Taylor stage of the thin map takes
_CUDA_BOUND_MARGIN = 1.25  # head-room on a bound read one step late (see MatrixExpMap)


class MatrixExpMap(OrthogonalMap):
    """The paper's map in its thin form: P = exp(S)[:, :k] with S = [[A, -B^T], [B, 0]].

    n = max(d_s, d_t), k = min(d_s, d_t). The parameter ``generator`` (n, k) holds A (k x k,
    skew-symmetric, from the strict upper triangle of its first k rows) and B (its last n - k
    rows): the n k-parameter family of torch's ``orthogonal(..., orthogonal_map='matrix_exp')``,
    still the exponential of a skew-symmetric n x n matrix, then sliced. P is that slice for
    d_s <= d_t and its transpose for d_s > d_t; a square P is exp(A) (the same parameter layout
    and P as the full map, :class:`~.full_exp.FullMatrixExpMap`).

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
        gram64 = gram_matrix(lower, torch.float64) if lower is not None else None
        gram = gram64.float() if gram64 is not None else None
        first, second = thin_exp_factors(skew, gram, *self._schedule(skew, gram))
        with torch.no_grad():
            exact_first, exact_second = _orthonormal_polish(
                first, second,
                gram64.detach() if gram64 is not None else None)
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
