"""The frozen teacher in reduced precision (``VkDDistiller(teacher_dtype=...)``) on the CPU: the
toy V_kD config (ResNet-18 w8 <- w32, MMPretrain models), its features, loss and gradients
against the fp32 teacher's, and a real MMEngine run."""
import copy
import math

import pytest
import torch
from mmengine.optim import OptimWrapper
from mmengine.registry import DefaultScope
from mmengine.runner import Runner

from vkd_mm.models.teacher import teacher_precision
from vkd_mm.registry import MODELS
from .conftest import TOY_VKD_CONFIG
from .test_distiller import clone_state, toy_batch
from .test_runner import toy_cfg

REDUCED = ('bf16', 'fp16')


def build(cfg, teacher_dtype):
    cfg = copy.deepcopy(cfg)
    cfg.teacher_dtype = teacher_dtype
    torch.manual_seed(0)  # same student, teacher and projector for every dtype
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        return MODELS.build(cfg)


@pytest.fixture(scope='module')
def batch(vkd_cfg):
    torch.manual_seed(1)
    model = build(vkd_cfg, None)
    return model.data_preprocessor(toy_batch(batch_size=8), True)


def relative_error(value, reference):
    return float((value.double() - reference.double()).norm() / reference.double().norm())


@pytest.mark.parametrize('teacher_dtype', REDUCED)
def test_teacher_features_reach_the_pairs_in_fp32(vkd_cfg, batch, teacher_dtype):
    reference = build(vkd_cfg, 'fp32').forward_teacher(**batch)['pooled']
    model = build(vkd_cfg, teacher_dtype)
    seen = []
    model.teacher.neck.register_forward_hook(lambda module, args, out: seen.append(out[0].dtype))
    feats = model.forward_teacher(**batch)['pooled']
    # the teacher computed in the reduced dtype, the pair receives fp32
    assert seen == [{'bf16': torch.bfloat16, 'fp16': torch.float16}[teacher_dtype]]
    assert feats.dtype == torch.float32 and feats.shape == reference.shape == (8, 256)
    assert not torch.equal(feats, reference)
    assert relative_error(feats, reference) < 1e-2


@pytest.mark.parametrize('teacher_dtype', REDUCED)
def test_loss_is_close_to_the_fp32_teachers_and_student_gradients_are_finite(
        vkd_cfg, batch, teacher_dtype):
    losses, grads = {}, {}
    for dtype in ('fp32', teacher_dtype):
        model = build(vkd_cfg, dtype)
        loss = model(**batch, mode='loss')['loss_vkd_pooled']
        loss.backward()
        losses[dtype] = loss.item()
        grads[dtype] = torch.cat(
            [p.grad.flatten() for p in model.student.parameters() if p.grad is not None])
        assert all(p.grad is None for p in model.teacher.parameters())
    assert math.isclose(losses[teacher_dtype], losses['fp32'], rel_tol=1e-2)
    assert torch.isfinite(grads[teacher_dtype]).all() and grads[teacher_dtype].abs().sum() > 0
    assert relative_error(grads[teacher_dtype], grads['fp32']) < 5e-2


def test_train_step_leaves_the_teachers_weights_unchanged(vkd_cfg):
    model = build(vkd_cfg, 'bf16')
    model.train()
    before = clone_state(model.teacher)
    optim = OptimWrapper(torch.optim.AdamW(model.parameters(), lr=1e-3))
    log_vars = model.train_step(toy_batch(), optim)
    assert math.isfinite(log_vars['loss_vkd_pooled'].detach().item())
    after = model.teacher.state_dict()
    assert all(after[k].dtype == v.dtype and torch.equal(after[k], v) for k, v in before.items())
    assert all(p.dtype == torch.float32 for p in model.student.parameters())


def test_fp32_keeps_the_teacher_in_fp32_under_the_students_autocast(vkd_cfg, batch):
    model = build(vkd_cfg, 'fp32')
    reference = model.forward_teacher(**batch)['pooled']
    with torch.autocast('cpu', dtype=torch.bfloat16):
        losses = model(**batch, mode='loss')
        feats = model.forward_teacher(**batch)['pooled']
        follows = build(vkd_cfg, None).forward_teacher(**batch)['pooled']
    torch.testing.assert_close(feats, reference, rtol=0, atol=0)
    assert torch.isfinite(losses['loss_vkd_pooled'])
    # None follows the surrounding context: the student's AMP covers the teacher too
    assert follows.dtype == torch.bfloat16


def test_config_builds_through_the_registry_and_names_bad_values(vkd_cfg):
    assert build(vkd_cfg, 'bf16').teacher_dtype == 'bf16'
    with pytest.raises(
            ValueError,
            match=r"teacher_dtype must be None or one of \['bf16', "
            r"'fp16', 'fp32'\], got 'int8'"):
        build(vkd_cfg, 'int8')


def test_a_device_without_autocast_is_named_and_fp16_on_the_cpu_warns():
    with pytest.raises(ValueError, match="no autocast for 'meta' devices; set teacher_dtype=None"):
        teacher_precision('bf16', torch.device('meta'))
    assert not torch.is_autocast_enabled('cpu')
    with pytest.warns(UserWarning, match="'bf16' is the CPU's reduced precision"):
        context = teacher_precision('fp16', torch.device('cpu'))
    with context:
        assert torch.get_autocast_dtype('cpu') == torch.float16


def test_runner_trains_with_a_bf16_teacher(toy_data_root, tmp_path):
    cfg = toy_cfg(TOY_VKD_CONFIG, toy_data_root, tmp_path, max_epochs=1)
    cfg.model.teacher_dtype = 'bf16'
    cfg.train_cfg.val_interval = 2  # train only
    runner = Runner.from_cfg(cfg)
    before = clone_state(runner.model.teacher)
    runner.train()
    assert runner.iter == 3  # 48 toy images, batch 16
    loss = runner.message_hub.get_scalar('train/loss_vkd_pooled').current()
    assert math.isfinite(loss)
    after = runner.model.teacher.state_dict()
    assert all(torch.equal(after[k], v) for k, v in before.items())
