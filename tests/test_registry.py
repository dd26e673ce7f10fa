"""Every component builds by bare type name from each host library's registry."""
import importlib

import pytest
import torch
from mmengine.registry import DefaultScope

COMPONENTS = [
    dict(type='OrthogonalProjector', in_channels=8, out_channels=16),
    dict(type='LinearProjector', in_channels=8, out_channels=16),
    dict(type='MLPProjector', in_channels=8, out_channels=16),
    dict(type='ProjectorEnsemble', in_channels=8, out_channels=16),
    dict(type='SampleLayerNorm'),
    dict(type='BatchStandardize'),
    dict(type='BatchWhiten'),
    dict(type='VkDLoss'),
]
SCOPES = ['mmengine', 'mmdet', 'mmpretrain', 'mmagic']


def registries(scope):
    module = importlib.import_module(f'{scope}.registry')
    return module.MODELS, module.HOOKS


@pytest.mark.parametrize('scope', SCOPES)
@pytest.mark.parametrize('cfg', COMPONENTS, ids=lambda cfg: cfg['type'])
def test_component_builds_in_every_scope(scope, cfg):
    models, _ = registries(scope)
    with DefaultScope.overwrite_default_scope(scope):
        component = models.build(dict(cfg))
    assert type(component).__name__ == cfg['type']
    if 'in_channels' in cfg:
        assert component(torch.randn(2, 8)).shape == (2, 16)


@pytest.mark.parametrize('scope', SCOPES)
def test_hook_builds_in_every_scope(scope):
    _, hooks = registries(scope)
    with DefaultScope.overwrite_default_scope(scope):
        hook = hooks.build(dict(type='ProjectorDiagnosticsHook', interval=5))
    assert hook.interval == 5
