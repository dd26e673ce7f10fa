"""Precision, recall, density and coverage of generated images, on Inception features.

Improved precision and recall: Kynkaanniemi et al., "Improved Precision and Recall Metric for
Assessing Generative Models", NeurIPS 2019. Density and coverage: Naeem et al., "Reliable
Fidelity and Diversity Metrics for Generative Models", ICML 2020. Every one estimates a manifold
as the union of balls around the samples of a set, each of radius the distance to that sample's
k-th nearest neighbour in its own set (k = 5 by default, Naeem et al.'s choice):

- precision: the share of fake samples inside the real manifold;
- recall: the share of real samples inside the fake manifold;
- density: the number of real balls that contain a fake sample, summed over the fakes and
  divided by k x the number of fakes (1 when fakes are distributed like the reals; above 1
  where fakes crowd dense real regions);
- coverage: the share of real samples whose ball contains at least one fake sample.

Balls are closed (a sample at exactly the radius is inside).
"""
from typing import Dict, Optional

import numpy as np
import torch
from mmagic.evaluation.functional import prepare_inception_feat
from mmagic.evaluation.metrics import FrechetInceptionDistance
from mmagic.registry import METRICS
from mmengine.dist import is_main_process
from torch import nn
from torch.utils.data import DataLoader

__all__ = ['prdc', 'knn_radii', 'PrecisionRecallDensityCoverage']


def knn_radii(features: torch.Tensor, k: int, chunk_size: int = 4096) -> torch.Tensor:
    """Distance of each sample to its k-th nearest neighbour in the same set (itself excluded).

    Args:
        features (Tensor): (N, D), N > k.
        k (int): the neighbour.
        chunk_size (int): rows of the N x N distance matrix computed at once.

    Returns:
        Tensor: (N, ) radii.
    """
    # the sample itself is at distance 0: its k-th neighbour is the (k + 1)-th smallest
    return torch.cat([
        torch.cdist(chunk, features).kthvalue(k + 1, dim=1).values
        for chunk in features.split(chunk_size)
    ])


def prdc(real: torch.Tensor,
         fake: torch.Tensor,
         k: int = 5,
         chunk_size: int = 4096) -> Dict[str, float]:
    """Precision, recall, density and coverage of ``fake`` samples against ``real`` ones.

    Args:
        real (Tensor): real features, (N, D), N > k.
        fake (Tensor): fake features, (M, D), M > k.
        k (int): the nearest neighbour that sets each ball's radius. Default: 5.
        chunk_size (int): rows of each distance matrix computed at once (memory: chunk_size x
            max(N, M) distances). Default: 4096.

    Returns:
        dict: 'precision', 'recall', 'density' and 'coverage', floats.
    """
    if real.dim() != 2 or fake.dim() != 2 or real.shape[1] != fake.shape[1]:
        raise ValueError(f'expected real (N, D) and fake (M, D) features, got '
                         f'{tuple(real.shape)} and {tuple(fake.shape)}')
    if min(len(real), len(fake)) <= k:
        raise ValueError(f'k={k} needs more than {k} real and fake samples, got {len(real)} '
                         f'real and {len(fake)} fake: evaluate more samples or lower k')
    real_radii = knn_radii(real, k, chunk_size)
    fake_radii = knn_radii(fake, k, chunk_size)
    # fake j is in real ball i when |f_j - r_i| <= real_radii[i]
    balls_per_fake = torch.cat([(torch.cdist(chunk, real) <= real_radii).sum(1)
                                for chunk in fake.split(chunk_size)])
    # real i: is it in some fake ball (recall); is some fake in its own ball (coverage)
    in_fake_manifold, covered = [], []
    for chunk, radii in zip(real.split(chunk_size), real_radii.split(chunk_size)):
        distances = torch.cdist(chunk, fake)
        in_fake_manifold.append((distances <= fake_radii).any(1))
        covered.append(distances.min(1).values <= radii)
    return dict(
        precision=(balls_per_fake > 0).double().mean().item(),
        recall=torch.cat(in_fake_manifold).double().mean().item(),
        density=(balls_per_fake.double().sum() / (k * len(fake))).item(),
        coverage=torch.cat(covered).double().mean().item())


@METRICS.register_module()
class PrecisionRecallDensityCoverage(FrechetInceptionDistance):
    """Improved precision / recall and density / coverage of a GAN on Inception features.

    The fake and real features are those of MMagic's :class:`FrechetInceptionDistance`, from the
    same Inception (``inception_style``, ``inception_path``) and the same sampling of the model
    (``fake_nums`` images of ``sample_model``); the metrics are :func:`prdc` of all ``real_nums``
    real features (-1: the whole dataset of the evaluation loop) and the fakes.

    The real features are cached in ``inception_pkl`` as :func:`prepare_inception_feat`
    writes it with the raw features (``raw_feature``): the FID metric's file has only their mean
    and covariance, so give this metric its own file.

    Args:
        fake_nums (int): generated images to evaluate.
        k (int): nearest neighbour of the radii. Default: 5.
        chunk_size (int): rows of each distance matrix computed at once. Default: 4096.
        **kwargs: the other :class:`FrechetInceptionDistance` arguments.
    """
    name = 'PRDC'

    def __init__(self, fake_nums: int, k: int = 5, chunk_size: int = 4096, **kwargs) -> None:
        super().__init__(fake_nums, **kwargs)
        if k < 1:
            raise ValueError(f'k must be 1 or more, got {k}')
        self.k = k
        self.chunk_size = chunk_size
        self.real_features: Optional[torch.Tensor] = None

    def prepare(self, module: nn.Module, dataloader: DataLoader) -> None:
        """Extract (or load from ``inception_pkl``) the real images' Inception features."""
        self.device = module.data_preprocessor.device
        self.inception.to(self.device)
        self.inception.eval()
        state = prepare_inception_feat(
            dataloader, self, module.data_preprocessor, capture_mean_cov=True, capture_all=True)
        if not is_main_process():
            return
        if 'raw_feature' not in state:
            raise ValueError(f'{self.inception_pkl} holds no raw Inception features (the FID '
                             "metric's file keeps only their mean and covariance): give "
                             'PrecisionRecallDensityCoverage an inception_pkl of its own')
        self.real_features = torch.from_numpy(np.asarray(state['raw_feature']))

    def compute_metrics(self, fake_results: list) -> dict:
        """Args: fake_results (list): (1, D) features of the fake images. Returns: dict."""
        fake = torch.cat(fake_results).to(self.device)
        return prdc(self.real_features.to(fake), fake, self.k, self.chunk_size)
