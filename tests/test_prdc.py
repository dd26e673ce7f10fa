"""Precision / recall / density / coverage: the pure function on a hand-worked example, and the
MMagic metric built by its bare name in the mmagic scope. The metric in a real evaluation loop
is run by tests/test_biggan.py (every GAN config evaluates it)."""
import pickle

import numpy as np
import pytest
import torch
from mmagic.models import DataPreprocessor
from mmagic.registry import METRICS
from mmengine.registry import DefaultScope
from torch import nn

from vkd_mm.hosts.mmagic import PrecisionRecallDensityCoverage, prdc
from vkd_mm.hosts.mmagic.prdc import knn_radii
from .gan_stand_ins import save_tiny_inception

# Five real and four fake points in the plane, k = 1 (the nearest neighbour sets each radius).
REAL = torch.tensor([[0., 0.], [1., 0.], [0., 2.], [10., 0.], [10., 1.]], dtype=torch.float64)
FAKE = torch.tensor([[0.5, 0.5], [0., 3.], [20., 20.], [1.2, 0.3]], dtype=torch.float64)


def test_radii_are_the_distance_to_the_kth_neighbour():
    # real r1..r5: r1-r2 1, r1-r3 2, r2-r3 sqrt 5, r4-r5 1, the pairs across far apart
    torch.testing.assert_close(
        knn_radii(REAL, k=1), torch.tensor([1., 1., 2., 1., 1.], dtype=torch.float64))
    # second neighbour: r1 -> r3 (2), r2 -> r3 (sqrt 5), r3 -> r2 (sqrt 5), r4 -> r2 (9),
    # r5 -> r2 (sqrt 82)
    torch.testing.assert_close(
        knn_radii(REAL, k=2), torch.tensor([2., 5**0.5, 5**0.5, 9., 82**0.5], dtype=torch.float64))


def test_prdc_matches_the_hand_worked_example():
    """Worked by hand, k = 1.

    Real radii (nearest real): r1 (0,0) 1, r2 (1,0) 1, r3 (0,2) 2, r4 (10,0) 1, r5 (10,1) 1.
    Fake f1 (0.5,0.5): to r1 0.707 <= 1 in, r2 0.707 <= 1 in, r3 1.581 <= 2 in -> 3 balls.
    Fake f2 (0,3): to r1 3, r2 3.162 (out), r3 1 <= 2 in, r4 10.44, r5 10.2 (out) -> 1 ball.
    Fake f3 (20,20): farther than 21 from every real -> 0 balls.
    Fake f4 (1.2,0.3): r1 1.237 > 1 out, r2 0.361 in, r3 2.081 > 2 out, r4/r5 > 8 -> 1 ball.
    precision = fakes in some real ball = 3 / 4 = 0.75 (f1, f2, f4)
    density = (3 + 1 + 0 + 1) / (k * 4) = 1.25
    coverage = reals whose ball holds a fake: r1 (f1 at 0.707), r2 (f4 at 0.361), r3 (f2 at 1);
               r4 and r5 have no fake within 1 (nearest f4 at 8.8) -> 3 / 5 = 0.6
    Fake radii (nearest fake): f1 0.728 (f4), f2 2.55 (f1), f3 26.25 (f2), f4 0.728 (f1).
    recall = reals in some fake ball: r1 (in f1's, 0.707 <= 0.728), r2 (f4's, 0.361), r3 (f2's,
             1 <= 2.55), r4 and r5 in the outlier f3's huge ball (22.36 and 21.47 <= 26.25)
             -> 5 / 5 = 1.0, where coverage, which Naeem et al. made robust to such outliers,
             says 0.6.
    """
    result = prdc(REAL, FAKE, k=1)
    assert result == pytest.approx(dict(precision=0.75, recall=1.0, density=1.25, coverage=0.6))


def test_chunks_do_not_change_the_result():
    torch.manual_seed(0)
    real, fake = torch.randn(60, 8), torch.randn(50, 8) + 0.3
    assert prdc(real, fake, k=5, chunk_size=7) == pytest.approx(prdc(real, fake, k=5))


def test_identical_sets_are_fully_precise_and_covered():
    torch.manual_seed(0)
    real = torch.randn(40, 4)
    result = prdc(real, real.clone(), k=5)
    assert result['precision'] == result['recall'] == result['coverage'] == 1.0
    # each real ball holds its own copy and the copies of its k = 5 nearest neighbours: 6 fakes
    # per ball, so density = 6 * 40 / (5 * 40)
    assert result['density'] == pytest.approx(6 / 5)


def test_bad_inputs_name_the_problem():
    with pytest.raises(ValueError, match='k=5 needs more than 5'):
        prdc(REAL, FAKE)
    with pytest.raises(ValueError, match=r'got \(5, 2\) and \(4, 3\)'):
        prdc(REAL, torch.zeros(4, 3), k=1)


def test_metric_builds_from_the_mmagic_registry(tmp_path):
    inception = save_tiny_inception(str(tmp_path / 'inception.pt'))
    with DefaultScope.overwrite_default_scope('mmagic'):
        metric = METRICS.build(
            dict(
                type='PrecisionRecallDensityCoverage',
                fake_nums=16,
                inception_path=inception,
                prefix='PRDC-16'))
    assert isinstance(metric, PrecisionRecallDensityCoverage) and metric.k == 5
    images = torch.randint(0, 256, (3, 3, 32, 32)).float()
    assert metric.forward_inception(images).shape == (3, 16)


def metric_with_cached_reals(tmp_path, state):
    """The metric prepared from an ``inception_pkl`` holding ``state`` (no dataloader needed)."""
    pkl = str(tmp_path / 'reals.pkl')
    with open(pkl, 'wb') as file:
        pickle.dump(state, file)
    metric = PrecisionRecallDensityCoverage(
        fake_nums=4,
        k=1,
        inception_path=save_tiny_inception(str(tmp_path / 'inception.pt')),
        inception_pkl=pkl)
    module = nn.Module()
    module.data_preprocessor = DataPreprocessor()
    metric.prepare(module, None)
    return metric


def test_metric_scores_the_fakes_against_the_cached_real_features(tmp_path):
    metric = metric_with_cached_reals(tmp_path, dict(raw_feature=REAL.float().numpy()))
    fakes = list(FAKE.float().split(1))  # what ``process`` collects: (1, D) per image
    result = metric.compute_metrics(fakes)
    assert result == pytest.approx(dict(precision=0.75, recall=1.0, density=1.25, coverage=0.6))


def test_a_cache_without_raw_features_is_refused(tmp_path):
    with pytest.raises(ValueError, match='holds no raw Inception features.*its own'):
        metric_with_cached_reals(tmp_path, dict(real_mean=np.zeros(2), real_cov=np.eye(2)))
