import warnings

import pytest
import torch
from torch.nn import functional as F

from vkd_mm.models import BatchStandardize, BatchWhiten, RunningWhiten, SampleLayerNorm
from vkd_mm.models.normalizers import DegenerateStatisticsWarning, ledoit_wolf_shrinkage


def channel_covariance(x: torch.Tensor) -> torch.Tensor:
    x = x.double()
    centred = x - x.mean(0)
    return centred.t() @ centred / (x.shape[0] - 1)


def test_sample_layer_norm_is_the_official_target():
    x = torch.randn(8, 3024)
    torch.testing.assert_close(SampleLayerNorm()(x), F.layer_norm(x, (3024, )))


def test_batch_standardize_per_channel_over_all_tokens():
    x = torch.randn(4, 10, 6) * torch.arange(1, 7) + 3
    y = BatchStandardize(eps=0.0)(x).reshape(-1, 6)
    torch.testing.assert_close(y.mean(0), torch.zeros(6), atol=1e-5, rtol=0)
    torch.testing.assert_close(y.std(0), torch.ones(6), atol=1e-5, rtol=0)


def test_batch_standardize_of_maps_uses_every_position():
    x = torch.randn(2, 5, 3, 3)
    y = BatchStandardize(eps=0.0)(x)
    tokens = y.permute(0, 2, 3, 1).reshape(-1, 5)
    torch.testing.assert_close(tokens.std(0), torch.ones(5), atol=1e-5, rtol=0)


def test_whitening_gives_identity_covariance_when_well_conditioned():
    mixing = torch.randn(16, 16)
    x = torch.randn(4096, 16) @ mixing + 2.0
    y = BatchWhiten(shrinkage=0.0, eps=0.0)(x)
    torch.testing.assert_close(
        channel_covariance(y), torch.eye(16, dtype=torch.float64), atol=1e-4, rtol=0)


def test_whitening_is_finite_when_the_batch_is_smaller_than_the_width():
    x = torch.randn(50, 512)
    y = BatchWhiten()(x)
    assert torch.isfinite(y).all()
    # the directions the batch spans are equalised rather than blown up
    assert y.abs().max() < 100


def test_whitening_is_finite_with_a_constant_feature():
    x = torch.randn(64, 8)
    x[:, 3] = 5.0
    for normalizer in (BatchWhiten(), BatchWhiten(shrinkage=0.0), BatchStandardize()):
        y = normalizer(x)
        assert torch.isfinite(y).all(), normalizer
        assert y[:, 3].abs().max() < 1e-3


def test_whitening_of_an_all_constant_batch_is_finite():
    assert torch.isfinite(BatchWhiten()(torch.ones(4, 8))).all()


def test_ledoit_wolf_shrinkage_falls_as_the_batch_grows():
    scales = torch.linspace(0.5, 3.0, 32, dtype=torch.float64)  # an anisotropic covariance
    small = ledoit_wolf_shrinkage(torch.randn(16, 32, dtype=torch.float64) * scales)
    large = ledoit_wolf_shrinkage(torch.randn(8192, 32, dtype=torch.float64) * scales)
    assert 0 <= large < small <= 1
    assert large < 0.05


@pytest.mark.parametrize('normalizer', [SampleLayerNorm(), BatchStandardize(), BatchWhiten()])
def test_normalizers_compute_in_fp32_under_autocast(normalizer):
    x = torch.randn(16, 8).bfloat16()
    with torch.autocast('cpu', dtype=torch.bfloat16):
        y = normalizer(x)
    assert y.dtype == torch.float32 and y.shape == x.shape


def test_invalid_shrinkage_is_rejected():
    with pytest.raises(ValueError, match='shrinkage'):
        BatchWhiten(shrinkage=1.5)


def test_running_whiten_starts_from_the_shrunk_batch_estimate_then_averages():
    x1, x2 = torch.randn(10, 32), torch.randn(10, 32)
    running = RunningWhiten(channels=32, momentum=0.1)
    y1 = running(x1)
    torch.testing.assert_close(y1, BatchWhiten()(x1))
    centred = (x2 - x2.mean(0)).double()
    expected = 0.9 * running.running_covariance + 0.1 * centred.t() @ centred / 9
    running(x2)
    torch.testing.assert_close(running.running_covariance, expected)
    assert int(running.num_batches_tracked) == 2
    running.eval()
    before = running.running_covariance.clone()
    running(x1)
    assert torch.equal(running.running_covariance, before)


def test_running_whiten_reaches_full_rank_from_batches_smaller_than_the_width():
    """Batches of 20 in 64 dimensions: one batch spans 19 directions, the running estimate
    approaches the true covariance, and whitens held-out data to nearly identity."""
    generator = torch.Generator().manual_seed(0)
    mixing = torch.randn(64, 64, generator=generator) / 8 + torch.eye(64)
    truth = (mixing.t() @ mixing).double()
    running = RunningWhiten(channels=64, momentum=0.02)
    for _ in range(600):
        running(torch.randn(20, 64, generator=generator) @ mixing)
    error = (running.running_covariance - truth).norm() / truth.norm()
    single = BatchWhiten().covariance(
        (lambda x: (x - x.mean(0)).double())(torch.randn(20, 64, generator=generator) @ mixing))
    assert error < 0.2 < (single - truth).norm() / truth.norm()
    assert torch.linalg.matrix_rank(running.running_covariance) == 64
    running.eval()
    held_out = running(torch.randn(20000, 64, generator=generator) @ mixing)
    assert (channel_covariance(held_out) - torch.eye(64, dtype=torch.float64)).abs().max() < 0.2


def test_running_whiten_statistics_are_saved_and_restored():
    running = RunningWhiten(channels=8)
    for _ in range(3):
        running(torch.randn(6, 8))
    restored = RunningWhiten(channels=8)
    restored.load_state_dict(running.state_dict())
    assert int(restored.num_batches_tracked) == 3
    torch.testing.assert_close(restored.running_covariance, running.running_covariance)


def test_running_whiten_names_both_widths():
    with pytest.raises(ValueError, match='built for 8 channels but got features with 6'):
        RunningWhiten(channels=8)(torch.randn(4, 6))
    with pytest.raises(ValueError, match='momentum'):
        RunningWhiten(channels=8, momentum=0.0)


def test_whitening_default_makes_a_near_isotropic_batch_exactly_white():
    """With more tokens than channels the default is plain ZCA: Ledoit-Wolf would shrink a
    near-isotropic estimate almost entirely to the identity target and barely whiten."""
    x = torch.randn(1024, 16, generator=torch.Generator().manual_seed(0))  # covariance ~ I
    centred = (x - x.mean(0)).double()
    shrinkage = float(ledoit_wolf_shrinkage(centred))
    assert shrinkage > 0.9  # what the former default used: 0.94 here
    identity = torch.eye(16, dtype=torch.float64)
    shrunk = BatchWhiten(shrinkage=shrinkage, eps=0.0)(x)
    assert (channel_covariance(shrunk) - identity).abs().max() > 0.05
    white = BatchWhiten(eps=0.0)(x)
    torch.testing.assert_close(channel_covariance(white), identity, atol=1e-4, rtol=0)


@pytest.mark.parametrize('normalizer,tokens', [
    (BatchStandardize(), torch.randn(1, 64)),
    (BatchWhiten(), torch.randn(1, 64)),
    (BatchWhiten(), torch.randn(8, 64)),
    (RunningWhiten(channels=64), torch.randn(1, 64)),
])
def test_degenerate_batch_statistics_warn_once_with_the_owner(normalizer, tokens):
    normalizer.owner = "distill pair 'pooled', teacher side"
    with pytest.warns(DegenerateStatisticsWarning, match="pair 'pooled', teacher side.*pool=None"):
        normalizer(tokens)
    with warnings.catch_warnings():
        warnings.simplefilter('error')
        normalizer(tokens)


def test_enough_tokens_do_not_warn():
    with warnings.catch_warnings():
        warnings.simplefilter('error')
        BatchStandardize()(torch.randn(2, 64))
        BatchWhiten()(torch.randn(65, 64))
        BatchWhiten(shrinkage=0.1)(torch.randn(8, 64))
        RunningWhiten(channels=64)(torch.randn(8, 64))
