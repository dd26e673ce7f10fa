"""Sample whitening, the V_kD paper's whitening of the teacher features for generation.

The V_kD paper (Miles, Elezi, Deng, CVPR 2024, https://arxiv.org/abs/2403.06213, sections 3.4
and 7.4) whitens the teacher features of a batch so that they are unit-norm and mutually
orthogonal: for the (B, C) batch X the target Y has the Gram matrix Y Y^T = I_B. This is reachable
whenever B <= C (the GAN's batch of 50 CLIP features of 512 channels), unlike an identity C x C
channel covariance (:class:`~.whiten.BatchWhiten`), which a batch of B < C cannot have.

With the singular value decomposition X = U S V^T, the target is
Y = (X X^T)^(-1/2) X = U V^T, the orthogonal polar factor of X: of all batches with orthonormal
rows it is the nearest to X in the Frobenius norm (the orthogonal Procrustes solution), as ZCA is
the nearest whitening for channels.

The batch is not centred. A centred batch sums to zero, so its Gram matrix is singular (rank
B - 1 at most) and cannot be the identity; the paper's condition is on the Gram matrix of the
features themselves.
"""
from typing import Optional, Tuple

import torch

from vkd_mm.registry import MODELS
from .base import FeatureNormalizer

__all__ = ['BatchSampleWhiten', 'polar_factor']


def polar_factor(tokens: torch.Tensor,
                 rtol: Optional[float] = None) -> Tuple[torch.Tensor, torch.Tensor]:
    """The orthogonal polar factor U V^T of ``tokens`` = U S V^T, in float64.

    Computed from the eigendecomposition of the smaller Gram matrix: X X^T (M x M) when M <= C,
    giving (X X^T)^(-1/2) X, else X^T X (C x C), giving X (X^T X)^(-1/2); the two are equal.
    Singular values at most ``rtol`` x the largest count as zero (the pseudo-inverse), so a
    rank-r batch gives Y Y^T = the projection onto its r-dimensional span.

    Args:
        tokens (Tensor): X, (M, C).
        rtol (float, optional): relative tolerance on the singular values. Default: None,
            max(M, C) x float32's machine epsilon (``torch.linalg.matrix_rank``'s rule for
            float32 data).

    Returns:
        tuple: Y (M, C) float64 with orthonormal rows when M <= C and the rank is M, and the
        rank r of X (a 0-d long tensor).
    """
    samples, channels = tokens.shape
    if rtol is None:
        rtol = max(samples, channels) * torch.finfo(torch.float32).eps
    x = tokens.double()
    by_samples = samples <= channels
    gram = x @ x.t() if by_samples else x.t() @ x
    eigenvalues, eigenvectors = torch.linalg.eigh(gram)  # the squared singular values
    kept = eigenvalues > eigenvalues[-1].clamp_min(0) * rtol**2
    # NOTE clamped before rsqrt so that dropped directions give 0 * finite, never 0 * inf
    inverse_sqrt = torch.where(kept,
                               eigenvalues.clamp_min(torch.finfo(x.dtype).tiny).rsqrt(),
                               torch.zeros_like(eigenvalues))
    whitener = eigenvectors @ torch.diag_embed(inverse_sqrt) @ eigenvectors.t()
    whitened = whitener @ x if by_samples else x @ whitener
    return whitened, kept.sum()


@MODELS.register_module()
class BatchSampleWhiten(FeatureNormalizer):
    """Whitens the samples of the batch: unit-norm, mutually orthogonal tokens (Y Y^T = I).

    For the (M, C) tokens X of the batch (M = B, or B x N tokens, or B x H x W positions) the
    output is Y = (X X^T)^(-1/2) X = U V^T, the polar factor of X (see :func:`polar_factor`),
    computed in float64 and returned in float32. Exact, Y Y^T = I_M, when the M tokens are
    linearly independent, which needs M <= C. Otherwise (M > C, or repeated or dependent tokens)
    Y Y^T is the projection onto the span of the batch, and a warning says so once. One token
    (M = 1) gives x / ||x||. A zero batch gives zeros. No statistics are kept.

    Args:
        rtol (float, optional): singular values at most ``rtol`` x the largest count as zero.
            Default: None, max(M, C) x float32's epsilon.
    """

    def __init__(self, rtol: Optional[float] = None) -> None:
        super().__init__()
        if rtol is not None and not 0.0 <= rtol < 1.0:
            raise ValueError(f'rtol must be in [0, 1) or None, got {rtol}')
        self.rtol = rtol

    def degenerate(self, samples: int, channels: int) -> Optional[str]:
        if samples == 1:
            return ('got 1 token per batch: whitening one sample only scales it to unit norm '
                    '(no decorrelation). Use batches of 2 or more, or keep more tokens '
                    '(pool=None)')
        if samples > channels:
            return (f'got {samples} tokens per batch for {channels} channels: more tokens than '
                    'channels cannot be mutually orthogonal, so the Gram matrix of the output is '
                    f'a rank-{channels} projection, not the identity. Use at most {channels} '
                    'tokens per batch (a smaller batch, or pool the tokens), or BatchWhiten to '
                    'whiten the channel covariance instead')
        return None

    def normalize_tokens(self, tokens: torch.Tensor) -> torch.Tensor:
        whitened, rank = polar_factor(tokens, self.rtol)
        samples = tokens.shape[0]
        if not self._warned and samples <= tokens.shape[1] and int(rank) < samples:
            self.warn_once(f'got {samples} tokens per batch of rank {int(rank)}: repeated or '
                           'linearly dependent tokens cannot be made orthogonal, so the Gram '
                           'matrix of the output is the identity on their span only. Feed '
                           'distinct samples (e.g. no repeated images in a batch)')
        return whitened.to(tokens.dtype)

    def extra_repr(self) -> str:
        return f'rtol={self.rtol}'
