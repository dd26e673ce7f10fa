"""OrthogonalProjector with every map: orthonormality, layouts, gradients, training, errors."""
import pytest
import torch
from torch import nn

from vkd_mm.models import OrthogonalProjector
from vkd_mm.models.projectors import ORTHOGONAL_MAPS
from .orthogonal_reference import orthonormality_error

MAPS = sorted(ORTHOGONAL_MAPS)
SHAPES = [(48, 300), (300, 48), (64, 64)]


@pytest.mark.parametrize('orthogonal_map', MAPS)
@pytest.mark.parametrize('in_channels,out_channels', SHAPES)
def test_weight_is_orthonormal_in_fp32(orthogonal_map, in_channels, out_channels):
    projector = OrthogonalProjector(in_channels, out_channels, orthogonal_map=orthogonal_map)
    weight = projector.weight
    assert weight.dtype == torch.float32
    assert weight.shape == (out_channels, in_channels)
    assert orthonormality_error(weight) < 1e-5


@pytest.mark.parametrize('orthogonal_map', MAPS)
def test_inner_products_of_the_batch_are_preserved(orthogonal_map):
    projector = OrthogonalProjector(48, 300, orthogonal_map=orthogonal_map)
    x = torch.randn(32, 48)
    y = projector(x)
    assert y.shape == (32, 300)
    torch.testing.assert_close(y @ y.t(), x @ x.t(), rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize('orthogonal_map', MAPS)
@pytest.mark.parametrize('in_channels,out_channels', SHAPES)
def test_forward_equals_the_matrix_for_every_layout(orthogonal_map, in_channels, out_channels):
    projector = OrthogonalProjector(in_channels, out_channels, orthogonal_map=orthogonal_map)
    weight = projector.weight.detach()
    vectors = torch.randn(4, in_channels)
    tokens = torch.randn(2, 5, in_channels)
    maps = torch.randn(2, in_channels, 3, 4)
    torch.testing.assert_close(projector(vectors), vectors @ weight.t(), rtol=1e-4, atol=1e-5)
    torch.testing.assert_close(projector(tokens), tokens @ weight.t(), rtol=1e-4, atol=1e-5)
    expected = torch.einsum('bchw,dc->bdhw', maps, weight)
    torch.testing.assert_close(projector(maps), expected, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize('orthogonal_map', MAPS)
def test_gradients_reach_the_parameter_and_the_input(orthogonal_map):
    projector = OrthogonalProjector(16, 40, orthogonal_map=orthogonal_map, affine=True)
    x = torch.randn(8, 16, requires_grad=True)
    projector(x).square().sum().backward()
    assert x.grad is not None and x.grad.abs().sum() > 0
    for name, param in projector.named_parameters():
        assert param.grad is not None and param.grad.abs().sum() > 0, name


@pytest.mark.parametrize('orthogonal_map', MAPS)
def test_survives_1000_adamw_steps_with_weight_decay(orthogonal_map):
    """Orthonormal, non-zero and still learning after 1,000 AdamW steps with wd=0.05."""
    torch.manual_seed(0)
    projector = OrthogonalProjector(24, 96, orthogonal_map=orthogonal_map)
    target_map = torch.linalg.qr(torch.randn(96, 24))[0]
    optimizer = torch.optim.AdamW(projector.parameters(), lr=5e-4, weight_decay=0.05)
    losses, snapshots = [], {}
    for step in range(1000):
        x = torch.randn(64, 24)
        loss = nn.functional.smooth_l1_loss(projector(x), x @ target_map.t())
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
        if step in (899, 999):
            snapshots[step] = projector.weight.detach().clone()
    weight = projector.weight.detach()
    assert orthonormality_error(weight) < 1e-5
    assert weight.norm() > 1.0  # sqrt(24) for an orthonormal 96x24 matrix
    assert (snapshots[999] - snapshots[899]).abs().max() > 1e-4, 'stopped learning'
    assert sum(losses[-50:]) / 50 < 0.9 * sum(losses[:50]) / 50


@pytest.mark.parametrize('orthogonal_map', MAPS)
def test_a_step_that_decays_the_parameter_tenfold_leaves_p_orthonormal(orthogonal_map):
    """AdamW with lr * weight_decay = 0.9 scales the parameter by 0.1 before its update (the
    step that zeros torch's default orthogonal parametrisation of a rectangular weight): P
    stays orthonormal, with the norm sqrt(k) of a 64 x 16 matrix with orthonormal columns."""
    projector = OrthogonalProjector(16, 64, orthogonal_map=orthogonal_map)
    parameter = next(projector.orthogonal_map.parameters())
    before = parameter.detach().clone()
    optimizer = torch.optim.AdamW(projector.parameters(), lr=0.01, weight_decay=90.0)
    projector(torch.randn(32, 16)).sum().backward()
    optimizer.step()
    assert parameter.detach().norm() < 0.5 * before.norm()  # the decay did shrink it
    weight = projector.weight.detach()
    assert orthonormality_error(weight) < 1e-5
    torch.testing.assert_close(weight.norm(), torch.tensor(16.0).sqrt(), atol=1e-4, rtol=0)


def test_channel_mismatch_names_both_sizes():
    projector = OrthogonalProjector(32, 64, orthogonal_map='cholesky_qr')
    with pytest.raises(ValueError, match=r'expects 32 input channels .* has 48'):
        projector(torch.randn(2, 48, 4, 4))


def test_unknown_map_lists_the_choices():
    with pytest.raises(ValueError, match='cholesky_qr'):
        OrthogonalProjector(8, 16, orthogonal_map='svd')


def test_affine_scale_and_bias_follow_the_projection():
    projector = OrthogonalProjector(8, 16, orthogonal_map='householder_qr', affine=True)
    with torch.no_grad():
        projector.affine.weight.fill_(2.0)
        projector.affine.bias.fill_(0.5)
    x = torch.randn(3, 8)
    torch.testing.assert_close(projector(x), 2.0 * x @ projector.weight.detach().t() + 0.5)


@pytest.mark.parametrize('orthogonal_map', MAPS)
def test_runs_in_fp32_under_autocast(orthogonal_map):
    projector = OrthogonalProjector(16, 32, orthogonal_map=orthogonal_map)
    with torch.autocast('cpu', dtype=torch.bfloat16):
        y = projector(torch.randn(4, 16).bfloat16())
    assert y.dtype == torch.float32
