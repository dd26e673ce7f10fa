"""Failures are loud: non-finite distillation terms, degenerate batch statistics, broken files."""
import copy
import math

import pytest
import torch
from mmengine.optim import OptimWrapper

from vkd_mm.models.normalizers import DegenerateStatisticsWarning
from vkd_mm.utils import NotACheckpointError
from .test_distiller import build, toy_batch


def poison_teacher(model):
    """A teacher whose features are NaN (as after a diverged or corrupted checkpoint)."""
    with torch.no_grad():
        model.teacher.backbone.conv1.weight[0, 0, 0, 0] = math.nan


def test_a_nan_pixel_stops_training_naming_pair_side_and_input(vkd_cfg):
    model = build(vkd_cfg)
    data = model.data_preprocessor(toy_batch(), True)
    data['inputs'][2, 0, 5, 5] = math.nan
    with pytest.raises(FloatingPointError) as error:
        model(**data, mode='loss')
    message = str(error.value)
    assert "distill pair 'pooled': loss_vkd_pooled is nan" in message
    assert "the first non-finite input is the student side: the feature recorded at 'neck'" \
        in message
    assert 'the batch inputs hold 1 non-finite values' in message
    assert 'nonfinite="skip"' in message


def test_a_non_finite_teacher_is_named_as_the_teacher_side(vkd_cfg):
    model = build(vkd_cfg)
    poison_teacher(model)
    data = model.data_preprocessor(toy_batch(), True)
    with pytest.raises(FloatingPointError, match="student side|teacher side") as error:
        model(**data, mode='loss')
    assert "is the teacher side: the feature recorded at 'neck'" in str(error.value)
    assert 'the batch inputs are finite' in str(error.value)


def test_skip_policy_skips_the_step_and_logs_it(vkd_cfg):
    model = build(vkd_cfg, nonfinite='skip')
    model.train()
    poison_teacher(model)
    trained = [(k, v) for k, v in model.named_parameters() if not k.startswith('teacher')]
    before = {k: v.detach().clone() for k, v in trained}
    optim = OptimWrapper(torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=0.05))
    log_vars = model.train_step(toy_batch(), optim)
    assert set(log_vars) == {'nonfinite_skipped'}
    # (BatchNorm statistics of the forward pass move, as in any skipped AMP step)
    assert all(torch.equal(v, before[k]) for k, v in trained)
    assert not optim.optimizer.state  # no step was taken


def test_unknown_nonfinite_policy_is_rejected(vkd_cfg):
    with pytest.raises(ValueError, match="nonfinite must be one of"):
        build(vkd_cfg, nonfinite='ignore')


def test_batch_of_one_under_batch_standardize_warns_with_the_pair(vkd_cfg):
    cfg = copy.deepcopy(vkd_cfg)
    cfg.distill[0].teacher_norm = dict(type='BatchStandardize')
    model = build(cfg)
    data = model.data_preprocessor(toy_batch(batch_size=1), True)
    with pytest.warns(
            DegenerateStatisticsWarning,
            match="distill pair 'pooled', teacher_norm: BatchStandardize got 1 token"):
        model(**data, mode='loss')


def test_a_file_that_is_not_a_checkpoint_is_named(vkd_cfg, tmp_path):
    text = tmp_path / 'teacher.pth'
    text.write_text('<html>404 Not Found</html>')
    with pytest.raises(NotACheckpointError, match=f'{text} is not a checkpoint'):
        build(vkd_cfg, teacher_ckpt=str(text))


def test_a_truncated_checkpoint_is_named(vkd_cfg, tmp_path):
    path = tmp_path / 'teacher.pth'
    torch.save(build(vkd_cfg).teacher.state_dict(), path)
    data = path.read_bytes()
    path.write_bytes(data[:len(data) // 2])  # a copy or a save cut short
    with pytest.raises(NotACheckpointError, match=str(path)):
        build(vkd_cfg, teacher_ckpt=str(path))


@pytest.mark.parametrize('change,message', [
    (dict(teacher=None), 'needs a teacher'),
    (dict(distill=[]), 'at least one pair'),
    (dict(distill='twice'), "two distill pairs are named 'pooled'"),
    (dict(distill='no channels'), "distill pair 'pooled': `student` needs `path` and `channels`"),
    (dict(distill='bad pool'), "pool must be one of"),
    (dict(logit_distill=[
        dict(student=dict(path='head.fc', channels=6), teacher=dict(path='head.fc', channels=6))
    ]), "logit_distill pair 'logit0' needs a `loss`"),
    (dict(logit_distill=[
        dict(
            student=dict(path='head.fc', channels=6),
            teacher=dict(path='head.fc', channels=6),
            loss=dict(type='KLDivergenceLoss'),
            weight=2)
    ]), r"logit_distill pair 'logit0' has unknown keys \['weight'\]"),
])
def test_config_mistakes_are_named(vkd_cfg, change, message):
    """The distiller's remaining config errors, one test each."""
    cfg = copy.deepcopy(vkd_cfg)
    pair = cfg.distill[0]
    if change.get('distill') == 'twice':
        change = dict(distill=[pair, pair])
    elif change.get('distill') == 'no channels':
        change = dict(distill=[dict(pair, student=dict(path='neck'))])
    elif change.get('distill') == 'bad pool':
        change = dict(distill=[dict(pair, student=dict(path='neck', channels=64, pool='max'))])
    with pytest.raises(ValueError, match=message):
        build(cfg, **change)


def test_projected_and_teacher_shapes_must_agree(vkd_cfg):
    cfg = copy.deepcopy(vkd_cfg)
    cfg.distill[0].student = dict(path='backbone.layer4', channels=64)  # a map, not pooled
    model = build(cfg)
    data = model.data_preprocessor(toy_batch(), True)
    with pytest.raises(ValueError, match="pick layers of the same resolution or set\\s+pool="):
        model(**data, mode='loss')
