"""Channel whitening: the C x C channel covariance of the batch's tokens made the identity.

These follow the V_kD author's description of whitening in his answers on GitHub (vkd issues #2
and #4, pointing to htdt/self-supervised); the official code of the generative experiments was
never released. The paper's own whitening (sections 3.4 and 7.4) makes the batch's sample Gram
matrix the identity instead: :class:`~.sample_whiten.BatchSampleWhiten`, which the GAN configs
use. Channel whitening stays an option (``teacher_norm=dict(type='BatchWhiten')``).
"""
from typing import Optional, Union

import torch
from mmengine.dist import all_reduce, is_distributed

from vkd_mm.registry import MODELS
from .base import FeatureNormalizer

__all__ = ['BatchWhiten', 'RunningWhiten', 'ledoit_wolf_shrinkage', 'sample_covariance']


def ledoit_wolf_shrinkage(centred: torch.Tensor) -> torch.Tensor:
    """Ledoit-Wolf's estimate of the optimal shrinkage of a sample covariance towards mu * I.

    Ledoit & Wolf, "A well-conditioned estimator for large-dimensional covariance matrices",
    J. Multivariate Analysis 2004. The estimate minimises the expected Frobenius error of
    (1 - s) S + s mu I, with S the sample covariance and mu = tr(S) / C.

    Args:
        centred (Tensor): centred samples, (M, C), float64.

    Returns:
        Tensor: the shrinkage s in [0, 1], a 0-d tensor.
    """
    samples, channels = centred.shape
    covariance = centred.t() @ centred / samples
    mu = covariance.diagonal().mean()
    dispersion = (
        covariance -
        mu * torch.eye(channels, dtype=centred.dtype, device=centred.device)).square().sum()
    squares = centred.square()
    # mean over samples of ||x x^T - S||_F^2, computed without forming x x^T
    spread = ((squares.sum(1).square()).sum() / samples - covariance.square().sum()) / samples
    if dispersion <= 0:
        return torch.ones((), dtype=centred.dtype, device=centred.device)
    return (spread / dispersion).clamp(0.0, 1.0)


def sample_covariance(centred: torch.Tensor) -> torch.Tensor:
    """Unbiased channel covariance (C, C) of centred samples (M, C)."""
    return centred.t() @ centred / max(centred.shape[0] - 1, 1)


@MODELS.register_module()
class BatchWhiten(FeatureNormalizer):
    """ZCA whitening with batch statistics: the C x C channel covariance of the output becomes I.

    With X the (M, C) tokens of the batch, mu their mean and Sigma = (X - mu)^T (X - mu) / (M - 1)
    the channel covariance, the output is (X - mu) Sigma'^(-1/2) with Sigma' = Sigma when it is
    well conditioned. The *channel* covariance (C x C, over the batch) is made the identity, not
    the batch Gram matrix (that is :class:`~.sample_whiten.BatchSampleWhiten`, the paper's
    whitening): this is the whitening the V_kD author describes on GitHub ("whitened features
    have an identity covariance, i.e. decorrelation", using batch statistics, vkd issue #2), the
    counterpart of standardisation, which only makes the diagonal of that covariance one. The
    symmetric (ZCA) inverse square root is used so that the whitened features stay as close as
    possible to the originals (the minimal rotation).

    By default the output covariance is made the identity whenever the batch allows: when the
    tokens outnumber the channels (M > C) Sigma is invertible and plain ZCA is used (s = 0).
    When M <= C the sample covariance has rank at most M - 1 and has no inverse. The estimate is
    then shrunk towards a scaled identity, Sigma' = (1 - s) Sigma + s (tr(Sigma) / C) I, with s
    from Ledoit-Wolf: the estimator that minimises the expected Frobenius error to the true
    covariance among such blends, so the whitening is principled rather than an arbitrary
    ridge. Directions the batch does not span keep a finite gain (a warning says so once; see
    :class:`RunningWhiten` for small batches); a constant channel has zero variance and is
    handled by ``eps``.

    Args:
        shrinkage (float, optional): fixed s in [0, 1] for every batch; None: 0 when M > C,
            else Ledoit-Wolf's estimate. Default: None.
        eps (float): added to the eigenvalues of Sigma'. Default: 1e-5.
    """

    def __init__(self, shrinkage: Optional[float] = None, eps: float = 1e-5) -> None:
        super().__init__()
        if shrinkage is not None and not 0.0 <= shrinkage <= 1.0:
            raise ValueError(f'shrinkage must be in [0, 1] or None, got {shrinkage}')
        self.shrinkage = shrinkage
        self.eps = eps

    def degenerate(self, samples: int, channels: int) -> Optional[str]:
        if samples < 2:
            return (f'got {samples} token per batch: the centred batch is '
                    'zero, so is every output. Use batches of 2 or more, keep more tokens '
                    '(pool=None), or RunningWhiten')
        if samples <= channels and self.shrinkage is None:
            return (f'got {samples} tokens per batch for {channels} '
                    f'channels: the batch covariance has rank {samples - 1} at most, so the '
                    'output is only partly whitened (Ledoit-Wolf shrinkage). For an identity '
                    f'covariance use more than {channels} tokens per batch (larger batches, or '
                    'pool=None to keep every token) or RunningWhiten')
        return None

    def covariance(self, centred: torch.Tensor) -> torch.Tensor:
        """The (shrunk) channel covariance Sigma', (C, C) float64, of centred tokens (M, C)."""
        samples, channels = centred.shape
        covariance = sample_covariance(centred)
        shrinkage: Union[float, torch.Tensor]
        if self.shrinkage is not None:
            shrinkage = self.shrinkage
        elif samples > channels:
            return covariance  # invertible: plain ZCA
        else:
            shrinkage = ledoit_wolf_shrinkage(centred)
        target = covariance.diagonal().mean() * torch.eye(
            channels, dtype=centred.dtype, device=centred.device)
        return (1 - shrinkage) * covariance + shrinkage * target

    def normalize_tokens(self, tokens: torch.Tensor) -> torch.Tensor:
        centred = (tokens - tokens.mean(0, keepdim=True)).double()
        eigenvalues, eigenvectors = torch.linalg.eigh(self.covariance(centred))
        inverse_sqrt = eigenvectors @ torch.diag_embed(
            (eigenvalues.clamp_min(0) + self.eps).rsqrt()) @ eigenvectors.t()
        return (centred @ inverse_sqrt).to(tokens.dtype)

    def extra_repr(self) -> str:
        return f'shrinkage={self.shrinkage}, eps={self.eps}'


@MODELS.register_module()
class RunningWhiten(BatchWhiten):
    """ZCA whitening with a running channel covariance, for batches smaller than the width.

    Tokens are centred with their batch mean, as in :class:`BatchWhiten`, but whitened with a
    running estimate of the covariance: each training call updates
    Sigma_run <- (1 - m) Sigma_run + m Sigma_batch (unbiased sample covariance), starting from
    the first batch's shrunk estimate (:meth:`BatchWhiten.covariance`). A batch of 50 spans at
    most 49 of 512 directions; over about 1 / m batches the running estimate gathers many
    batches' directions and becomes a full-rank covariance, the estimate the V_kD author
    suggests for small batches (vkd issue #4). In eval mode the estimate is used as it is.
    Under distributed training the batch covariance is averaged over the processes first, so
    every process whitens alike. The estimate is a buffer: saved in checkpoints, restored on
    resume. No gradient flows through it.

    Args:
        channels (int): C, the feature width (the buffers are C x C).
        momentum (float): m, in (0, 1]. Default: 0.01 (the running statistics of the
            whitening the author points to, htdt/self-supervised).
        shrinkage (float, optional): of the first batch's estimate, as :class:`BatchWhiten`.
        eps (float): added to the eigenvalues. Default: 1e-5.
    """

    def __init__(self,
                 channels: int,
                 momentum: float = 0.01,
                 shrinkage: Optional[float] = None,
                 eps: float = 1e-5) -> None:
        super().__init__(shrinkage=shrinkage, eps=eps)
        if not 0.0 < momentum <= 1.0:
            raise ValueError(f'momentum must be in (0, 1], got {momentum}')
        self.channels = channels
        self.momentum = momentum
        self.register_buffer('running_covariance', torch.eye(channels, dtype=torch.float64))
        self.register_buffer('num_batches_tracked', torch.tensor(0, dtype=torch.long))

    def update(self, centred: torch.Tensor) -> None:
        """Fold one batch's covariance into the running estimate. Args: centred (M, C) f64.

        A non-finite batch (on any process) is left out, so that one NaN batch skipped by the
        distiller does not poison the estimate for the rest of training."""
        first = int(self.num_batches_tracked) == 0
        covariance = super().covariance(centred) if first else sample_covariance(centred)
        if is_distributed():
            all_reduce(covariance, op='mean')
        if not bool(torch.isfinite(covariance).all()):
            return
        if first:
            self.running_covariance.copy_(covariance)
        else:
            self.running_covariance.lerp_(covariance, self.momentum)
        self.num_batches_tracked += 1

    def degenerate(self, samples: int, channels: int) -> Optional[str]:
        if samples >= 2:
            return None  # the running estimate covers what one batch does not span
        return (f'got {samples} token per batch: the centred batch is '
                'zero, so is every output. Use batches of 2 or more or keep more tokens '
                '(pool=None)')

    def covariance(self, centred: torch.Tensor) -> torch.Tensor:
        if centred.shape[1] != self.channels:
            raise ValueError(f'RunningWhiten was built for {self.channels} channels but got '
                             f'features with {centred.shape[1]}; set channels={centred.shape[1]}')
        if self.training:
            with torch.no_grad():
                self.update(centred.detach())
        return self.running_covariance

    def extra_repr(self) -> str:
        return f'channels={self.channels}, momentum={self.momentum}, {super().extra_repr()}'
