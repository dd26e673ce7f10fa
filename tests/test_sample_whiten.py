"""BatchSampleWhiten: the paper's whitening of the batch's samples (Gram matrix = identity)."""
import warnings

import pytest
import torch
from torch import nn

from vkd_mm.models import BatchSampleWhiten, BatchWhiten
from vkd_mm.models.normalizers import DegenerateStatisticsWarning, polar_factor


def gram(y: torch.Tensor) -> torch.Tensor:
    return y @ y.t()


def assert_orthonormal_rows(y: torch.Tensor) -> None:
    """The rows of y (N, C) are orthonormal: y y^T = I_N to 1e-5."""
    torch.testing.assert_close(gram(y), torch.eye(len(y)), atol=1e-5, rtol=0)


def warned(whiten: nn.Module, x: torch.Tensor, match: str) -> torch.Tensor:
    """whiten(x), checking that it warns of degenerate statistics with a message matching
    ``match``."""
    with pytest.warns(DegenerateStatisticsWarning, match=match):
        return whiten(x)


def test_gram_of_the_gan_batch_is_the_identity_in_float32():
    torch.manual_seed(0)
    # 50 CLIP-like features of 512 channels with a shared offset and uneven scales
    x = 3.0 + torch.randn(50, 512) * torch.linspace(0.1, 4.0, 512)
    y = BatchSampleWhiten()(x)
    assert y.dtype == torch.float32 and y.shape == x.shape
    assert_orthonormal_rows(y)


def test_output_is_the_nearest_batch_with_orthonormal_rows():
    """Y = U V^T from the SVD X = U S V^T: the orthogonal Procrustes solution."""
    torch.manual_seed(0)
    x = torch.randn(6, 10, dtype=torch.float64)
    u, _, vh = torch.linalg.svd(x, full_matrices=False)
    whitened, rank = polar_factor(x)
    torch.testing.assert_close(whitened, u @ vh)
    assert int(rank) == 6
    # no other orthonormal-row batch (here: random rotations of U V^T) is nearer to X
    for _ in range(5):
        q, _ = torch.linalg.qr(torch.randn(6, 6, dtype=torch.float64))
        assert (x - whitened).norm() <= (x - q @ u @ vh).norm()


def test_tokens_and_maps_are_whitened_over_the_batch_and_positions():
    torch.manual_seed(0)
    maps = torch.randn(2, 64, 3, 3)  # 18 positions of 64 channels
    y = BatchSampleWhiten()(maps)
    assert y.shape == maps.shape
    assert_orthonormal_rows(y.permute(0, 2, 3, 1).reshape(18, 64))


def test_more_tokens_than_channels_use_the_channel_gram_and_warn():
    torch.manual_seed(0)
    x = torch.randn(40, 8)
    y = warned(BatchSampleWhiten(), x, '40 tokens per batch for 8 channels')
    # X (X^T X)^(-1/2): orthonormal columns, and Y Y^T the projection onto the batch's span
    assert_orthonormal_rows(y.t())
    torch.testing.assert_close(gram(y) @ gram(y), gram(y), atol=1e-5, rtol=0)


def test_gradients_are_finite():
    torch.manual_seed(0)
    x = torch.randn(8, 32, requires_grad=True)
    y = BatchSampleWhiten()(x)
    (y * torch.randn_like(y)).sum().backward()
    assert torch.isfinite(x.grad).all() and x.grad.abs().sum() > 0
    # idempotent: a batch of orthonormal rows is left as it is
    torch.testing.assert_close(BatchSampleWhiten()(y.detach()), y.detach(), atol=1e-5, rtol=0)


def test_one_sample_warns_once_and_is_scaled_to_unit_norm():
    whiten = BatchSampleWhiten()
    whiten.owner = "distill pair 'vkd', teacher side"
    x = torch.randn(1, 16)
    y = warned(whiten, x, "pair 'vkd', teacher side.*batches of 2 or more")
    torch.testing.assert_close(y, x / x.norm())
    with warnings.catch_warnings():
        warnings.simplefilter('error')
        whiten(x)


def test_rank_deficient_batches_warn_once_and_stay_finite():
    torch.manual_seed(0)
    x = torch.randn(6, 32)
    x[3] = x[0]  # a repeated sample
    x[5] = x[1] + 2 * x[2]  # a dependent one
    whiten = BatchSampleWhiten()
    y = warned(whiten, x, '6 tokens per batch of rank 4.*distinct')
    assert torch.isfinite(y).all()
    # the identity on the 4-dimensional span of the batch: a rank-4 projection
    projection = gram(y.double())
    torch.testing.assert_close(projection @ projection, projection, atol=1e-5, rtol=0)
    assert torch.linalg.matrix_rank(projection, hermitian=True, rtol=1e-6) == 4
    with warnings.catch_warnings():
        warnings.simplefilter('error')
        whiten(x)
        assert torch.isfinite(whiten(torch.zeros(4, 32))).all()


def test_independent_batches_do_not_warn():
    with warnings.catch_warnings():
        warnings.simplefilter('error')
        BatchSampleWhiten()(torch.randn(50, 512))
        BatchSampleWhiten()(torch.randn(2, 3, 8))


def test_half_precision_input_is_whitened_in_float32():
    torch.manual_seed(0)
    x = torch.randn(10, 64).half()
    y = BatchSampleWhiten()(x)
    assert y.dtype == torch.float32
    assert_orthonormal_rows(y)


def test_channel_whitening_differs_from_sample_whitening():
    """BatchWhiten decorrelates channels (C x C covariance); at B < C it cannot reach I."""
    torch.manual_seed(0)
    x = torch.randn(50, 512)
    channel = warned(BatchWhiten(), x, 'Ledoit-Wolf')
    assert (gram(channel) - torch.eye(50)).abs().max() > 0.1


def test_rtol_is_checked():
    with pytest.raises(ValueError, match='rtol must be in'):
        BatchSampleWhiten(rtol=-1.0)
