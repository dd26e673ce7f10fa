"""DistillPair: one module per distillation term."""
import pytest
import torch
from torch import nn

from vkd_mm.models import (BatchStandardize, DistillPair, LinearProjector, OrthogonalProjector,
                           SampleLayerNorm, VkDLoss)
from .test_distiller import build


def test_pair_flattens_once_and_matches_its_modules_applied_one_by_one():
    torch.manual_seed(0)
    pair = DistillPair(
        'p3',
        student=dict(path='a', channels=8),
        teacher=dict(path='b', channels=12),
        projector=dict(type='OrthogonalProjector'),
        student_norm=dict(type='BatchStandardize'),
        teacher_norm=dict(type='SampleLayerNorm'),
        loss=dict(type='VkDLoss', mode='mse'))
    student, teacher = torch.randn(2, 8, 5, 6), torch.randn(2, 12, 5, 6)
    projected = pair.student_norm(pair.projector(student))
    target = pair.teacher_norm(teacher)
    assert torch.equal(pair.project(student), projected)
    assert torch.equal(pair.target(teacher), target)
    assert torch.equal(pair(student, teacher), VkDLoss(mode='mse')(projected, target))
    assert pair.loss_key == 'loss_vkd_p3'
    assert isinstance(pair.projector, OrthogonalProjector)
    assert isinstance(pair.student_norm, BatchStandardize)
    assert isinstance(pair.teacher_norm, SampleLayerNorm)


def test_pair_without_components_compares_the_features_as_they_are():
    pair = DistillPair(
        'logits',
        student=dict(path='head', channels=6),
        teacher=dict(path='head', channels=6),
        loss=dict(type='VkDLoss'))
    assert all(
        isinstance(m, nn.Identity) for m in (pair.projector, pair.student_norm, pair.teacher_norm))
    student, teacher = torch.randn(4, 6), torch.randn(4, 6)
    assert torch.equal(pair(student, teacher), VkDLoss()(student, teacher))


def test_pair_names_the_side_whose_channels_differ_from_the_config():
    pair = DistillPair(
        'c5',
        student=dict(path='neck', channels=8),
        teacher=dict(path='neck', channels=12),
        projector=dict(type='LinearProjector'),
        loss=dict(type='VkDLoss'))
    assert isinstance(pair.projector, LinearProjector)
    with pytest.raises(
            ValueError,
            match=r"pair 'c5': the teacher feature at 'neck' has 10 "
            r'channels .* config says 12; set teacher=dict'):
        pair(torch.randn(4, 8), torch.randn(4, 10))


def test_distiller_holds_one_pair_module_per_entry(vkd_cfg):  # noqa: F811
    model = build(vkd_cfg)
    assert list(model.pairs) == ['pooled']
    pair = model.pairs['pooled']
    assert isinstance(pair, DistillPair)
    assert {k.split('.')[0] for k in model.state_dict()} == {'student', 'teacher', 'pairs'}
    assert all(
        k.startswith('pairs.pooled.projector.') for k in model.state_dict()
        if k.startswith('pairs.'))
