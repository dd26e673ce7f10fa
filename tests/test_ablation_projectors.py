import pytest
import torch

from vkd_mm.models import LinearProjector, MLPProjector, ProjectorEnsemble

# factories, so that every case builds its own module and sees only its own gradients
PROJECTORS = {
    'linear':
    lambda: LinearProjector(12, 20),
    'mlp':
    lambda: MLPProjector(12, 20, hidden_channels=16),
    'ensemble':
    lambda: ProjectorEnsemble(12, 20, num_projectors=3),
    'orthogonal-ensemble':
    lambda: ProjectorEnsemble(12, 20, num_projectors=2, projector=dict(type='OrthogonalProjector')),
}


@pytest.mark.parametrize('build', PROJECTORS.values(), ids=PROJECTORS.keys())
@pytest.mark.parametrize('shape,out_shape', [
    ((6, 12), (6, 20)),
    ((2, 3, 12), (2, 3, 20)),
    ((2, 12, 2, 2), (2, 20, 2, 2)),
])
def test_shapes_and_gradients(build, shape, out_shape):
    projector = build()
    y = projector(torch.randn(*shape))
    assert y.shape == out_shape
    y.square().mean().backward()
    for name, parameter in projector.named_parameters():
        assert parameter.grad is not None, name
        assert torch.isfinite(parameter.grad).all() and parameter.grad.abs().sum() > 0, name


def test_ensemble_averages_distinct_members():
    ensemble = ProjectorEnsemble(8, 8, num_projectors=2, projector=dict(type='LinearProjector'))
    x = torch.randn(4, 8)
    first, second = (member(x) for member in ensemble.members)
    assert not torch.allclose(first, second)
    torch.testing.assert_close(ensemble(x), (first + second) / 2)
