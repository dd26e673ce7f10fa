"""The QR maps (``householder_qr``, ``cholesky_qr``) and the Gram matrix they share."""
import pytest
import torch

from vkd_mm.models import OrthogonalProjector
from vkd_mm.models.projectors.orthogonal_maps.gram import gram_matrix


def test_householder_and_cholesky_qr_give_the_same_q_for_the_same_parameter():
    """Both are the positive-R QR of the parameter."""
    torch.manual_seed(1)
    weight = torch.randn(300, 48)
    householder = OrthogonalProjector(48, 300, orthogonal_map='householder_qr')
    cholesky = OrthogonalProjector(48, 300, orthogonal_map='cholesky_qr')
    with torch.no_grad():
        householder.orthogonal_map.weight.copy_(weight)
        cholesky.orthogonal_map.weight.copy_(weight)
    torch.testing.assert_close(householder.weight, cholesky.weight, atol=1e-5, rtol=0)
    q, r = torch.linalg.qr(weight.double())
    assert (torch.diagonal(r) != 0).all()
    torch.testing.assert_close(
        householder.weight.double(), q * r.diagonal().sign(), atol=1e-5, rtol=0)


@pytest.mark.parametrize('orthogonal_map', ['householder_qr', 'cholesky_qr'])
def test_qr_maps_ignore_the_scale_of_their_parameter(orthogonal_map):
    projector = OrthogonalProjector(24, 96, orthogonal_map=orthogonal_map)
    before = projector.weight.detach().clone()
    with torch.no_grad():
        projector.orthogonal_map.weight.mul_(1e-3)
    torch.testing.assert_close(projector.weight, before, atol=1e-5, rtol=0)


def test_cholesky_qr_of_a_rank_deficient_parameter_names_householder_qr():
    projector = OrthogonalProjector(8, 32, orthogonal_map='cholesky_qr')
    with torch.no_grad():
        projector.orthogonal_map.weight[:, 1:] = 0
    with pytest.raises(FloatingPointError, match='householder_qr'):
        projector(torch.randn(4, 8))


@pytest.mark.parametrize('dtype', [None, torch.float64])
def test_gram_matrix_value_and_gradient_are_those_of_w_t_w(dtype):
    """The value in the requested dtype, the one-product gradient in W's dtype, both equal to
    autograd through W^T W in float64."""
    weight = torch.randn(30, 7, requires_grad=True)
    upstream = torch.randn(7, 7, dtype=torch.float64)
    result = gram_matrix(weight, dtype)
    assert result.dtype == (dtype or torch.float32)
    grad, = torch.autograd.grad((result * upstream.to(result.dtype)).sum(), weight)
    assert grad.dtype == torch.float32

    wide = weight.detach().double().requires_grad_()
    expected = wide.t() @ wide
    want, = torch.autograd.grad((expected * upstream).sum(), wide)
    tolerance = 1e-12 if dtype == torch.float64 else 1e-5
    torch.testing.assert_close(result.double(), expected.detach(), atol=tolerance, rtol=0)
    torch.testing.assert_close(grad.double(), want, atol=1e-4, rtol=1e-5)
