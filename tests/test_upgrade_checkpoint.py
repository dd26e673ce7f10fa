"""tools/upgrade_checkpoint.py: checkpoints of the earlier key layouts load into today's models."""
import os.path as osp
import subprocess
import sys

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import DefaultScope

from vkd_mm.registry import MODELS
from .conftest import REPO_ROOT
from .gan_stand_ins import with_tiny_teacher
from .test_distiller import build

TOOL = osp.join(REPO_ROOT, 'tools', 'upgrade_checkpoint.py')
WHITEN_C10 = osp.join(REPO_ROOT,
                      'configs/biggan/vkd-whiten-diffaug-biggan_1xb50_cifar10-10p-32x32.py')
# the distiller's pair components before each pair was one module
OLD_PAIR_CONTAINERS = {
    'projector': 'projectors',
    'teacher_norm': 'teacher_norms',
    'student_norm': 'student_norms',
    'loss': 'distill_losses'
}


def old_distiller_key(key: str) -> str:
    if not key.startswith('pairs.'):
        return key
    _, pair, component, rest = key.split('.', 3)
    return f'{OLD_PAIR_CONTAINERS[component]}.{pair}.{rest}'


def old_gan_key(key: str) -> str:
    for new, old in (('vkd_pair.teacher_norm.', 'teacher_norm.'), ('vkd_pair.loss.', 'kd_loss.')):
        if key.startswith(new):
            return old + key[len(new):]
    return key


def upgrade(tmp_path, checkpoint) -> dict:
    source, target = str(tmp_path / 'old.pth'), str(tmp_path / 'new.pth')
    torch.save(checkpoint, source)
    result = subprocess.run([sys.executable, TOOL, source, target],
                            capture_output=True,
                            text=True,
                            timeout=300)
    assert result.returncode == 0, result.stderr
    return torch.load(target, weights_only=True), result.stdout


def assert_loads_into(model, state_dict, expected) -> None:
    model.load_state_dict(state_dict, strict=True)
    for key, value in expected.items():
        assert torch.equal(model.state_dict()[key], value), key


def test_a_distiller_checkpoint_of_per_component_containers_loads(vkd_cfg, tmp_path):  # noqa
    torch.manual_seed(0)
    expected = build(vkd_cfg).state_dict()
    old = {old_distiller_key(key): value for key, value in expected.items()}
    assert any(key.startswith('projectors.pooled.') for key in old)
    ema = {'module.' + key: value for key, value in old.items()}
    upgraded, report = upgrade(
        tmp_path,
        dict(meta=dict(epoch=3), state_dict=old, ema_state_dict=dict(ema, steps=torch.tensor(7))))
    renamed = sum(key != old_distiller_key(key) for key in expected)
    assert renamed > 0 and f'renamed {2 * renamed} keys' in report
    assert upgraded['meta'] == dict(epoch=3)
    assert int(upgraded['ema_state_dict']['steps']) == 7
    assert set(upgraded['ema_state_dict']) == {'module.' + key for key in expected} | {'steps'}
    torch.manual_seed(1)
    assert_loads_into(build(vkd_cfg), upgraded['state_dict'], expected)


def build_gan():
    """The whitened V_kD BigGAN with a running covariance (buffers in the pair's normaliser)."""
    cfg = Config.fromfile(WHITEN_C10)
    cfg.model.teacher_norm = dict(type='RunningWhiten', channels=512)
    with DefaultScope.overwrite_default_scope('mmagic'):
        return MODELS.build(with_tiny_teacher(cfg.model))


def test_a_gan_checkpoint_of_top_level_vkd_components_loads(tmp_path):
    torch.manual_seed(0)
    model = build_gan()
    model.vkd_pair.teacher_norm(torch.randn(64, 512))  # running statistics away from their init
    expected = model.state_dict()
    old = {old_gan_key(key): value for key, value in expected.items()}
    assert any(key.startswith('teacher_norm.') for key in old)
    upgraded, _ = upgrade(tmp_path, old)  # a bare state dict
    torch.manual_seed(1)
    assert_loads_into(build_gan(), upgraded, expected)


def test_a_current_checkpoint_is_copied_unchanged(vkd_cfg, tmp_path):  # noqa: F811
    expected = build(vkd_cfg).state_dict()
    upgraded, report = upgrade(tmp_path, dict(state_dict=expected))
    assert 'renamed 0 keys' in report
    assert list(upgraded['state_dict']) == list(expected)


@pytest.mark.parametrize('content', [torch.zeros(3), [torch.zeros(3)]])
def test_a_file_that_is_no_checkpoint_dict_is_refused(tmp_path, content):
    source = str(tmp_path / 'tensor.pth')
    torch.save(content, source)
    result = subprocess.run(
        [sys.executable, TOOL, source, str(tmp_path / 'out.pth')],
        capture_output=True,
        text=True,
        timeout=300)
    assert result.returncode != 0
    assert 'not a checkpoint dict or a state dict' in result.stderr
