"""Every component vkd_mm registers builds by bare type name from each host library's registry.

The components are listed below with minimal arguments, and the list is checked against what the
package registers in MMEngine's root registries, so a new component fails here until it is
listed (and so tested). Host components (registered into one host library's registry, see
``vkd_mm.registry.HOST_MODULES``) are left out: their own tests build them.
"""
import copy
import importlib
import json
import pkgutil
import subprocess
import sys

import mmengine.registry
import pytest
import torch
from mmengine.hooks import Hook
from mmengine.model import BaseModel
from mmengine.registry import DefaultScope, Registry
from torch import nn

import vkd_mm
from vkd_mm.registry import HOST_MODULES
from .conftest import REPO_ROOT

# MMEngine's own scope and each host's: the components build by bare name in all of them
SCOPES = ['mmengine'] + [scope for scope, _, _ in HOST_MODULES]


class TinyNet(BaseModel):
    """A student or teacher for the distiller: one linear layer of ``width`` outputs."""

    def __init__(self, width: int) -> None:
        super().__init__()
        self.linear = nn.Linear(4, width)

    def forward(self, inputs, data_samples=None, mode='tensor'):
        outputs = self.linear(inputs)
        return dict(loss_task=outputs.square().mean()) if mode == 'loss' else outputs


def _cost_matrix() -> torch.Tensor:
    return torch.tensor([[0.0, 1.0, 2.0], [1.0, 0.0, 1.0], [2.0, 1.0, 0.0]])


def _projects(component) -> None:
    assert component(torch.randn(2, 8)).shape == (2, 16)


def _projects_maps(component) -> None:
    assert component(torch.randn(2, 8, 3, 3)).shape == (2, 16, 3, 3)


def _normalises(component) -> None:
    assert component(torch.randn(16, 8)).shape == (16, 8)


def _compares_features(component) -> None:
    assert torch.isfinite(component(torch.randn(2, 8, 4, 4), torch.randn(2, 8, 4, 4)))


def _compares_logits(component) -> None:
    assert torch.isfinite(component(torch.randn(4, 3), torch.randn(4, 3)))


def _compares_logits_with_labels(component) -> None:
    assert torch.isfinite(component(torch.randn(4, 3), torch.randn(4, 3), torch.arange(4) % 3))


def _distils(component) -> None:
    losses = component(torch.randn(2, 4), mode='loss')
    assert sorted(losses) == ['loss_task', 'loss_vkd_0']
    assert torch.isfinite(losses['loss_vkd_0'])


def _matches_tokens(component) -> None:
    losses = component(torch.randn(2, 4), mode='loss')
    assert sorted(losses) == ['loss_task', 'loss_tm', 'tm_0']
    assert torch.isfinite(losses['loss_tm'])


def _skips_missing_images(component) -> None:
    """With on_error='skip' an unreadable image gives None (the dataset then draws another)."""
    assert component(dict(img_path='/nonexistent/missing.png', sample_idx=3)) is None


def _runs_at(*stages):
    """A hook the runner calls at exactly ``stages`` (the runner's tests run the hooks)."""

    def check(component) -> None:
        assert isinstance(component, Hook)
        assert set(component.get_triggered_stages()) == set(stages)

    return check


# (root registry, type name): (minimal config, check of the built component). A loop needs a
# runner to be built, so loops are only looked up (test_wkd_integration runs CategoryCostLoop,
# test_resume ExactResumeEpochBasedTrainLoop).
COMPONENTS = {
    ('MODELS', 'OrthogonalProjector'): (dict(in_channels=8, out_channels=16), _projects),
    ('MODELS', 'LinearProjector'): (dict(in_channels=8, out_channels=16), _projects),
    ('MODELS', 'MLPProjector'): (dict(in_channels=8, out_channels=16), _projects),
    ('MODELS', 'ProjectorEnsemble'): (dict(in_channels=8, out_channels=16), _projects),
    ('MODELS', 'ConvBottleneckProjector'): (dict(in_channels=8, out_channels=16,
                                                 hidden_channels=4), _projects_maps),
    ('MODELS', 'SampleLayerNorm'): (dict(), _normalises),
    ('MODELS', 'BatchStandardize'): (dict(), _normalises),
    ('MODELS', 'BatchWhiten'): (dict(), _normalises),
    ('MODELS', 'BatchSampleWhiten'): (dict(), _normalises),
    ('MODELS', 'RunningWhiten'): (dict(channels=8), _normalises),
    ('MODELS', 'VkDLoss'): (dict(), _compares_features),
    ('MODELS', 'KLDivergenceLoss'): (dict(), _compares_logits),
    ('MODELS', 'WKDLogitLoss'): (dict(cost_matrix=_cost_matrix()), _compares_logits_with_labels),
    ('MODELS', 'WKDFeatureLoss'): (dict(grid=2), _compares_features),
    ('MODELS', 'TokenMatchingLoss'): (dict(), _compares_features),
    ('MODELS', 'VkDDistiller'): (dict(
        student=dict(type=TinyNet, width=8),
        teacher=dict(type=TinyNet, width=16),
        distill=[
            dict(student=dict(path='linear', channels=8), teacher=dict(path='linear', channels=16))
        ]), _distils),
    ('MODELS', 'TokenMatchingDistiller'): (dict(
        student=dict(type=TinyNet, width=8),
        teacher=dict(type=TinyNet, width=8),
        distill=[
            dict(
                student=dict(path='linear', channels=8),
                teacher=dict(path='linear', channels=8),
                projector=None,
                teacher_norm=None,
                loss=dict(type='TokenMatchingLoss'))
        ]), _matches_tokens),
    ('HOOKS', 'CosineLossWeightHook'):
    (dict(pairs=['0']), _runs_at('before_train', 'before_train_epoch', 'before_train_iter')),
    ('HOOKS', 'ProjectorDiagnosticsHook'):
    (dict(interval=5), _runs_at('before_train_iter', 'after_train_iter', 'after_train')),
    ('HOOKS', 'TeacherEvalHook'): (dict(), _runs_at('before_train', 'after_val_epoch')),
    ('HOOKS', 'ExactResumeHook'): (dict(),
                                   _runs_at('before_train', 'after_load_checkpoint',
                                            'before_train_iter', 'before_save_checkpoint')),
    ('HOOKS', 'AtomicCheckpointHook'): (dict(interval=2),
                                        _runs_at('before_train', 'after_train_iter',
                                                 'after_train_epoch', 'after_val_epoch',
                                                 'after_train')),
    ('HOOKS', 'PreemptionHook'): (dict(), _runs_at('before_train', 'after_train_iter',
                                                   'after_train')),
    ('TRANSFORMS', 'CheckedLoadImageFromFile'): (dict(on_error='skip'), _skips_missing_images),
    ('LOOPS', 'CategoryCostLoop'): (None, None),
    ('LOOPS', 'ExactResumeEpochBasedTrainLoop'): (None, None),
}
BUILDABLE = {key: value for key, value in COMPONENTS.items() if value[0] is not None}


def _is_host_module(name: str) -> bool:
    return any(name == location or name.startswith(location + '.')
               for _, location, _ in HOST_MODULES)


def _import_own_modules(package=vkd_mm) -> None:
    """Import every module of vkd_mm except the host components' (which import a host)."""
    for module in pkgutil.iter_modules(package.__path__, package.__name__ + '.'):
        if _is_host_module(module.name):
            continue
        imported = importlib.import_module(module.name)
        if module.ispkg:
            _import_own_modules(imported)


def registered_components() -> set:
    """(root registry, type name) of each non-host class vkd_mm has registered so far."""
    found = set()
    for attribute in dir(mmengine.registry):
        registry = getattr(mmengine.registry, attribute)
        if not isinstance(registry, Registry) or registry.parent is not None:
            continue
        for name, component in registry.module_dict.items():
            module = component.__module__
            if module.split('.')[0] == 'vkd_mm' and not _is_host_module(module):
                found.add((attribute, name))
    return found


def test_the_list_is_every_registered_component():
    _import_own_modules()
    assert set(COMPONENTS) == registered_components()


def test_import_vkd_mm_registers_every_listed_component():
    code = ('import json; from tests.test_registry import registered_components; '
            'print(json.dumps(sorted(registered_components())))')
    result = subprocess.run([sys.executable, '-c', code],
                            cwd=REPO_ROOT,
                            capture_output=True,
                            text=True,
                            check=True)
    registered = {tuple(key) for key in json.loads(result.stdout.splitlines()[-1])}
    assert registered == set(COMPONENTS)


def registry_of(scope: str, name: str) -> Registry:
    return getattr(importlib.import_module(f'{scope}.registry'), name)


@pytest.mark.parametrize('scope', SCOPES)
@pytest.mark.parametrize('key', BUILDABLE, ids=lambda key: key[1])
def test_component_builds_in_every_scope(scope, key):
    registry, name = key
    cfg, check = BUILDABLE[key]
    with DefaultScope.overwrite_default_scope(scope):
        component = registry_of(scope, registry).build(dict(type=name, **copy.deepcopy(cfg)))
    assert type(component).__name__ == name
    check(component)


@pytest.mark.parametrize('scope', SCOPES)
@pytest.mark.parametrize(
    'key', [key for key in COMPONENTS if key not in BUILDABLE], ids=lambda key: key[1])
def test_unbuilt_component_resolves_in_every_scope(scope, key):
    registry, name = key
    with DefaultScope.overwrite_default_scope(scope):
        component = registry_of(scope, registry).get(name)
    assert component is not None and component.__name__ == name
