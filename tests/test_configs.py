"""Every shipped config builds its model (teacher weights are not loaded)."""
import copy
import glob
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import DefaultScope

from vkd_mm.registry import MODELS
from .conftest import REPO_ROOT

CONFIGS = sorted(p for p in glob.glob(osp.join(REPO_ROOT, 'configs/**/*.py'), recursive=True)
                 if '_base_' not in p)


@pytest.mark.parametrize('path', CONFIGS, ids=lambda p: osp.relpath(p, REPO_ROOT))
def test_config_builds(path):
    cfg = Config.fromfile(path)
    model = copy.deepcopy(cfg.model)
    if model.get('type') == 'VkDDistiller':
        model.teacher_ckpt = None
    model.setdefault('data_preprocessor', cfg.get('data_preprocessor'))
    with DefaultScope.overwrite_default_scope(cfg.default_scope):
        built = MODELS.build(model)
    assert sum(p.numel() for p in built.parameters()) > 0
    if model.get('type') == 'VkDDistiller':
        assert built.pairs and not any(p.requires_grad for p in built.teacher.parameters())
        with torch.no_grad():
            size = 32 if 'toy' in path else 64
            built.eval()(torch.randn(2, 3, size, size), mode='tensor')
