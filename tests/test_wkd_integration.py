"""WKD inside the distiller: logit pairs, the cosine schedule and the cost-matrix tool."""
import copy
import os.path as osp
import subprocess
import sys

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import DefaultScope
from mmengine.runner import Runner

from vkd_mm.hooks import cosine_weight
from vkd_mm.models.ops import category_cost_matrix, linear_cka, load_cost_matrix
from vkd_mm.registry import MODELS
from .conftest import REPO_ROOT, TOY_VKD_CONFIG
from .test_distiller import toy_batch
from .test_runner import toy_cfg

TOY_TEACHER_CONFIG = osp.join(REPO_ROOT, 'configs/toy/resnet18-w32_12e_toy-shapes.py')


def wkd_toy_model(cost):
    cfg = Config.fromfile(TOY_VKD_CONFIG)
    model = copy.deepcopy(cfg.model)
    model.data_preprocessor = cfg.data_preprocessor
    model.logit_distill = [
        dict(
            name='logits',
            student=dict(path='head.fc', channels=6),
            teacher=dict(path='head.fc', channels=6),
            loss=dict(type='WKDLogitLoss', cost_matrix=cost, temperature=2.0)),
        dict(
            name='kl',
            student=dict(path='head.fc', channels=6),
            teacher=dict(path='head.fc', channels=6),
            loss=dict(type='KLDivergenceLoss')),
    ]
    model.distill.append(
        dict(
            name='layer4',
            student=dict(path='backbone', index=0, channels=64),
            teacher=dict(path='backbone', index=0, channels=256),
            projector=dict(type='ConvBottleneckProjector', hidden_channels=32),
            teacher_norm=None,
            loss=dict(type='WKDFeatureLoss', grid=2)))
    return model


def test_wkd_and_vkd_terms_together():
    cost = torch.rand(6, 6)
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        model = MODELS.build(wkd_toy_model(cost))
    data = model.data_preprocessor(toy_batch(), True)
    losses = model(**data, mode='loss')
    assert set(losses) == {
        'loss', 'loss_vkd_pooled', 'loss_wkdl_logits', 'loss_kd_kl', 'loss_wkdf_layer4'
    }
    assert all(torch.isfinite(v) for v in losses.values())
    sum(losses.values()).backward()
    assert all(p.grad is None for p in model.teacher.parameters())


def test_cosine_weight_follows_the_official_schedule():
    assert cosine_weight(30.0, 0, 0, 100) == 30.0
    assert cosine_weight(30.0, 100, 0, 100) == pytest.approx(0.0)
    assert cosine_weight(30.0, 50, 0, 100) == pytest.approx(15.0)
    assert cosine_weight(2.0, 100, 150, 240) == 2.0
    assert cosine_weight(2.0, 195, 150, 240) == pytest.approx(1.0)


def test_cosine_hook_decays_the_weight_during_training(toy_data_root, tmp_path):
    cost_file = str(tmp_path / 'cost.pth')
    torch.save(torch.rand(6, 6), cost_file)
    cfg = toy_cfg(TOY_VKD_CONFIG, toy_data_root, tmp_path, max_epochs=2)
    cfg.model.logit_distill = [
        dict(
            name='logits',
            student=dict(path='head.fc', channels=6),
            teacher=dict(path='head.fc', channels=6),
            loss=dict(type='WKDLogitLoss', cost_matrix=cost_file, loss_weight=30.0))
    ]
    cfg.custom_hooks = [dict(type='CosineLossWeightHook', pairs=['logits'])]
    runner = Runner.from_cfg(cfg)
    runner.train()
    weights = runner.message_hub.get_scalar('train/loss_weight/logits').data[0]
    assert weights[0] == pytest.approx(cosine_weight(30.0, 1, 0, 2))
    assert runner.model.pairs['logits'].loss.loss_weight == pytest.approx(0.0)


def test_cosine_hook_names_unknown_pairs(toy_data_root, tmp_path):
    cfg = toy_cfg(TOY_VKD_CONFIG, toy_data_root, tmp_path, max_epochs=1)
    cfg.custom_hooks = [dict(type='CosineLossWeightHook', pairs=['logitz'])]
    with pytest.raises(ValueError, match=r"no distillation pair named \['logitz'\].*pooled"):
        Runner.from_cfg(cfg).train()


def test_cka_matrix_equals_pairwise_cka():
    features = torch.randn(4, 9, 5, dtype=torch.float64)
    cost = category_cost_matrix(features)
    for i in range(4):
        for j in range(4):
            expected = 0.0 if i == j else 1 - linear_cka(features[i], features[j]).item()
            assert cost[i, j].item() == pytest.approx(expected, abs=1e-6)


def test_cost_matrix_tool_on_a_tiny_teacher(toy_data_root, tmp_path):
    """tools/wkd_cost_matrix.py with the toy teacher config and random weights."""
    cfg = Config.fromfile(TOY_TEACHER_CONFIG)
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        teacher = MODELS.build(cfg.model)
    checkpoint = str(tmp_path / 'teacher.pth')
    torch.save({'state_dict': teacher.state_dict(), 'meta': {}}, checkpoint)
    out = str(tmp_path / 'cost.pth')
    result = subprocess.run([
        sys.executable, 'tools/wkd_cost_matrix.py', TOY_TEACHER_CONFIG, checkpoint, '--out', out,
        '--samples-per-class', '5', '--cfg-options',
        f'train_dataloader.dataset.data_root={toy_data_root}',
        f'test_dataloader.dataset.data_root={toy_data_root}'
    ],
                            cwd=REPO_ROOT,
                            capture_output=True,
                            text=True,
                            timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    saved = torch.load(out, weights_only=False)
    assert saved['samples_per_class'] == 5 and saved['method'] == 'linear_cka'
    assert len(saved['classes']) == 6
    cost = load_cost_matrix(out)
    assert cost.shape == (6, 6)
    assert torch.allclose(cost, cost.t()) and (cost.diagonal() == 0).all()
    assert ((cost >= -1e-6) & (cost <= 1 + 1e-6)).all()
