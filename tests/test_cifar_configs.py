"""Every CIFAR-100 config takes one SGD step on a few random 32 x 32 images: the student alone
and with V_kD (no teacher checkpoint; the teacher is built from its config and left untouched);
their training pipeline runs."""
import copy
import functools
import glob
import os.path as osp

import numpy as np
import pytest
import torch
from mmcv.transforms import Compose
from mmengine.config import Config
from mmengine.optim import build_optim_wrapper
from mmengine.registry import DefaultScope

from vkd_mm.registry import MODELS
from .conftest import REPO_ROOT
from .test_configs import demo_batch

CIFAR_CONFIGS = sorted(glob.glob(osp.join(REPO_ROOT, 'configs/cifar100/*.py')))


@functools.lru_cache(maxsize=None)
def load(path):
    """A config, read once per session (callers copy what they change)."""
    return Config.fromfile(path)


def test_every_student_has_its_alone_config_and_every_pair_its_teacher():
    names = {osp.basename(p) for p in CIFAR_CONFIGS}
    for path in CIFAR_CONFIGS:
        model = load(path).model
        if model.type == 'VkDDistiller':
            assert osp.basename(model.teacher) in names
            assert model.teacher_ckpt.startswith('checkpoints/cifar100/')


@pytest.mark.parametrize('path', CIFAR_CONFIGS, ids=osp.basename)
def test_one_training_step(path):
    cfg = load(path)
    model_cfg = copy.deepcopy(cfg.model)
    model_cfg.setdefault('data_preprocessor', cfg.data_preprocessor)
    distiller = model_cfg.type == 'VkDDistiller'
    if distiller:
        model_cfg.teacher_ckpt = None
    with DefaultScope.overwrite_default_scope(cfg.default_scope):
        model = MODELS.build(model_cfg)
        model.init_weights()
        optim_wrapper = build_optim_wrapper(model, cfg.optim_wrapper)
        student = model.student if distiller else model
        batch = demo_batch(student, cfg.default_scope, 32)
        before = {k: v.clone() for k, v in model.state_dict().items()}
        log_vars = model.train_step(batch, optim_wrapper)
    assert optim_wrapper.param_groups[0]['lr'] == cfg.optim_wrapper.optimizer.lr
    assert torch.isfinite(log_vars['loss'])
    if distiller:
        assert {'loss_vkd_pooled', 'loss_kd_logits'} <= set(log_vars)
        assert all(
            torch.equal(before[k], v) for k, v in model.state_dict().items()
            if k.startswith('teacher.'))
        projector = [k for k in before if k.startswith('pairs.pooled.projector.')]
        assert projector and any(not torch.equal(before[k],
                                                 model.state_dict()[k]) for k in projector)
    moved = [
        k for k, v in model.state_dict().items() if k.startswith(('backbone.', 'student.backbone.'))
        and v.is_floating_point() and not torch.equal(before[k], v)
    ]
    assert moved


def test_training_pipeline_pads_crops_and_flips_to_32():
    """The shared data config (every config here inherits it) on a CIFAR-sized image."""
    cfg = load(CIFAR_CONFIGS[0])
    assert all(load(p).train_dataloader == cfg.train_dataloader for p in CIFAR_CONFIGS)
    with DefaultScope.overwrite_default_scope(cfg.default_scope):
        pipeline = Compose(cfg.train_dataloader.dataset.pipeline)
        image = np.random.randint(0, 256, (32, 32, 3), dtype=np.uint8)
        results = pipeline(dict(img=image, img_shape=(32, 32), ori_shape=(32, 32), gt_label=3))
    assert results['inputs'].shape == (3, 32, 32)
    assert results['data_samples'].gt_label.item() == 3
