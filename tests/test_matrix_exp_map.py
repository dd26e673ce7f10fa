"""The thin matrix-exp map (``matrix_exp``) and its factors, against the n x n exponential."""
import copy
import io

import pytest
import torch

from vkd_mm.models import OrthogonalProjector
from vkd_mm.models.projectors.orthogonal_maps.thin_exp import thin_exp_factors
from .orthogonal_reference import (assert_value_and_gradient_match_the_reference, full_generator,
                                   orthonormality_error, reference_matrix_exp)


@pytest.mark.parametrize('orthogonal_map', ['matrix_exp', 'matrix_exp_full'])
def test_a_square_p_is_the_exponential_of_the_skew_part(orthogonal_map):
    """For d_s = d_t both matrix-exp maps give P = exp(U - U^T), U the parameter's strict upper
    triangle."""
    projector = OrthogonalProjector(64, 64, orthogonal_map=orthogonal_map)
    generator = projector.orthogonal_map.generator.detach().double().triu(1)
    expected = torch.linalg.matrix_exp(generator - generator.t())
    torch.testing.assert_close(projector.weight.double(), expected, atol=1e-6, rtol=0)


@pytest.mark.parametrize('in_channels,out_channels', [(48, 300), (300, 48), (64, 64), (40, 56)])
@pytest.mark.parametrize('scale', [1.0, 5.0])
def test_thin_matrix_exp_is_the_sliced_exponential_of_the_block_generator(
        in_channels, out_channels, scale):
    """Tall, wide, square and nearly square (n - k < k); at scale 5 with several Taylor stages.
    Value and gradient against autograd through torch.linalg.matrix_exp of the n x n S."""
    torch.manual_seed(0)
    projector = OrthogonalProjector(in_channels, out_channels, orthogonal_map='matrix_exp')
    with torch.no_grad():
        projector.orthogonal_map.generator.mul_(scale)
    if scale > 1 and in_channels != out_channels:
        assert projector.orthogonal_map.schedule()[0] > 1
    assert_value_and_gradient_match_the_reference(projector, tolerance=2e-6)


@pytest.mark.parametrize('in_channels,out_channels', [(40, 200), (200, 40)])
@pytest.mark.parametrize('rank', [0, 1, 7])
def test_thin_matrix_exp_with_a_rank_deficient_b(in_channels, out_channels, rank):
    """B of rank < k (even B = 0): B = QR still holds with a singular R, and the map never
    factors B, so value and gradient stay those of exp(S)."""
    torch.manual_seed(1)
    projector = OrthogonalProjector(in_channels, out_channels, orthogonal_map='matrix_exp')
    generator = projector.orthogonal_map.generator
    thin = generator.shape[1]
    with torch.no_grad():
        low_rank = torch.randn(generator.shape[0] - thin, rank) @ torch.randn(rank, thin)
        generator[thin:] = low_rank / max(rank, 1)**0.5 / 4
        generator[:thin] *= 3
    assert torch.linalg.matrix_rank(generator[thin:].detach()) == rank
    assert_value_and_gradient_match_the_reference(projector)


def test_thin_factors_pass_gradcheck_in_float64():
    """thin_exp_factors in float64 (no float32 stage, no polish): autograd's gradient of
    [M; B N] against finite differences, with B of full rank and of rank 1."""
    torch.manual_seed(0)
    size, thin = 11, 4

    def thin_columns(generator):
        upper = generator[:thin].triu(1)
        lower = generator[thin:]
        first, second = thin_exp_factors(upper - upper.t(), lower.t() @ lower, stages=2, degree=24)
        return torch.cat([first, lower @ second])

    rank_one = torch.randn(size - thin, 1) @ torch.randn(1, thin)
    for lower in (torch.randn(size - thin, thin), rank_one):
        generator = torch.cat([torch.randn(thin, thin), lower]).double().requires_grad_()
        expected = torch.linalg.matrix_exp(full_generator(None, generator.detach()))[:, :thin]
        torch.testing.assert_close(thin_columns(generator), expected, atol=1e-13, rtol=0)
        assert torch.autograd.gradcheck(thin_columns, (generator, ))


@pytest.mark.parametrize('in_channels,out_channels', [(192, 3024), (384, 3024), (3024, 192),
                                                      (256, 256)])
def test_thin_matrix_exp_is_orthonormal_to_1e6_at_the_benchmark_widths(in_channels, out_channels):
    projector = OrthogonalProjector(in_channels, out_channels, orthogonal_map='matrix_exp')
    for scale in (1.0, 3.0):
        with torch.no_grad():
            projector.orthogonal_map.generator.mul_(scale)
        assert orthonormality_error(projector.weight) < 1e-6


@pytest.mark.parametrize('in_channels,out_channels', [(48, 300), (300, 48)])
def test_thin_matrix_exp_forms_p_only_for_many_tokens(in_channels, out_channels):
    """Fewer tokens than n - k go through the factors, more through P: same result."""
    projector = OrthogonalProjector(in_channels, out_channels, orthogonal_map='matrix_exp')
    weight = projector.weight.detach()
    for count in (8, 400):
        tokens = torch.randn(count, in_channels)
        torch.testing.assert_close(projector(tokens), tokens @ weight.t(), rtol=1e-4, atol=1e-5)


def test_square_thin_and_full_maps_share_parameter_layout_and_p():
    """A square P has the same (n, n) parameter and the same P in both matrix-exp maps."""
    full = OrthogonalProjector(64, 64, orthogonal_map='matrix_exp_full')
    thin = OrthogonalProjector(64, 64, orthogonal_map='matrix_exp')
    thin.load_state_dict(full.state_dict())
    torch.testing.assert_close(thin.weight, full.weight, atol=1e-6, rtol=0)


@pytest.mark.parametrize('orthogonal_map', ['matrix_exp', 'matrix_exp_full'])
def test_a_non_finite_generator_gives_a_non_finite_matrix_not_an_error(orthogonal_map):
    projector = OrthogonalProjector(48, 300, orthogonal_map=orthogonal_map)
    with torch.no_grad():
        projector.orthogonal_map.generator[0, 5] = float('nan')
    assert not torch.isfinite(projector.weight).all()


@pytest.mark.parametrize('orthogonal_map', ['matrix_exp', 'matrix_exp_full'])
@pytest.mark.parametrize('upstream_scale', [1e-6, 1.0, 1e4])
def test_square_matrix_exp_gradient_is_accurate_at_any_gradient_scale(orthogonal_map,
                                                                      upstream_scale):
    projector = OrthogonalProjector(96, 96, orthogonal_map=orthogonal_map)
    expected = reference_matrix_exp(projector)
    upstream = torch.randn_like(expected) * upstream_scale
    got = torch.autograd.grad((projector.weight * upstream.float()).sum(),
                              projector.orthogonal_map.generator)[0]
    want = torch.autograd.grad((expected * upstream).sum(), projector.orthogonal_map.generator)[0]
    assert (got.double() - want).abs().max() < 1e-5 * want.abs().max()


def test_thin_matrix_exp_deep_copies_and_pickles():
    """EMA hooks deep-copy the model; the map's host-side bound state must not get in the way."""
    projector = OrthogonalProjector(24, 96, orthogonal_map='matrix_exp')
    projector(torch.randn(4, 24))
    torch.testing.assert_close(copy.deepcopy(projector).weight, projector.weight)
    buffer = io.BytesIO()
    torch.save(projector, buffer)
    buffer.seek(0)
    restored = torch.load(buffer, weights_only=False)
    torch.testing.assert_close(restored.weight, projector.weight)
