"""The literal n x n matrix-exp map (``matrix_exp_full``), against torch.linalg.matrix_exp."""
import pytest
import torch

from vkd_mm.models import OrthogonalProjector
from vkd_mm.models.projectors.orthogonal_maps.full_exp import skew_exp_columns
from .orthogonal_reference import orthonormality_error, reference_matrix_exp


@pytest.mark.parametrize('in_channels,out_channels', [(48, 300), (300, 48)])
@pytest.mark.parametrize('scale', [1.0, 5.0, 40.0])
def test_full_matrix_exp_of_a_thin_slice_is_the_sliced_exponential(in_channels, out_channels,
                                                                   scale):
    """The full map takes only its columns (Taylor, several stages at scale 5) or, once the
    generator is large (scale 40), the whole exponential: value and gradient agree with
    torch.linalg.matrix_exp either way."""
    projector = OrthogonalProjector(in_channels, out_channels, orthogonal_map='matrix_exp_full')
    with torch.no_grad():
        projector.orthogonal_map.generator.mul_(scale)
    weight = projector.weight
    expected = reference_matrix_exp(projector)
    torch.testing.assert_close(weight.double(), expected, atol=1e-6, rtol=0)
    assert orthonormality_error(weight) < 1e-5

    upstream = torch.randn_like(expected)
    got = torch.autograd.grad((weight * upstream.float()).sum(),
                              projector.orthogonal_map.generator)[0]
    want = torch.autograd.grad((expected * upstream).sum(), projector.orthogonal_map.generator)[0]
    assert (got.double() - want).abs().max() < 1e-4 * want.abs().max()


def test_skew_exp_columns_sums_each_stage_to_round_off():
    upper = torch.randn(120, 120).triu(1) / 3
    skew = (upper - upper.t()).requires_grad_()
    columns = skew_exp_columns(skew, 10, stages=4)
    expected = torch.linalg.matrix_exp(skew.detach().double())[:, :10]
    torch.testing.assert_close(columns.double(), expected, atol=1e-6, rtol=0)
    columns.sum().backward()
    assert torch.isfinite(skew.grad).all() and skew.grad.abs().sum() > 0
