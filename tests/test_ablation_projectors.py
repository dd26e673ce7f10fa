import pytest
import torch

from vkd_mm.models import LinearProjector, MLPProjector, ProjectorEnsemble


@pytest.mark.parametrize('projector', [
    LinearProjector(12, 20),
    MLPProjector(12, 20, hidden_channels=16),
    ProjectorEnsemble(12, 20, num_projectors=3),
    ProjectorEnsemble(12, 20, num_projectors=2, projector=dict(type='OrthogonalProjector')),
])
@pytest.mark.parametrize('shape,out_shape', [
    ((6, 12), (6, 20)),
    ((2, 3, 12), (2, 3, 20)),
    ((2, 12, 2, 2), (2, 20, 2, 2)),
])
def test_shapes_and_gradients(projector, shape, out_shape):
    x = torch.randn(*shape)
    y = projector(x)
    assert y.shape == out_shape
    y.square().mean().backward()
    assert all(p.grad is not None for p in projector.parameters())


def test_ensemble_averages_distinct_members():
    ensemble = ProjectorEnsemble(8, 8, num_projectors=2, projector=dict(type='LinearProjector'))
    x = torch.randn(4, 8)
    first, second = (member(x) for member in ensemble.members)
    assert not torch.allclose(first, second)
    torch.testing.assert_close(ensemble(x), (first + second) / 2)
