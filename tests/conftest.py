import copy
import os.path as osp

import pytest
import torch
from mmengine.config import Config

import vkd_mm  # noqa: F401  registers the components
from vkd_mm.datasets import make_toy_shapes

REPO_ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
TOY_VKD_CONFIG = osp.join(REPO_ROOT, 'configs/toy/vkd_resnet18-w8_resnet18-w32_8e_toy-shapes.py')
TOY_STUDENT_CONFIG = osp.join(REPO_ROOT, 'configs/toy/resnet18-w8_8e_toy-shapes.py')


@pytest.fixture(autouse=True)
def _seed():
    torch.manual_seed(0)


@pytest.fixture(scope='session')
def toy_data_root(tmp_path_factory):
    """A tiny toy shapes set: 8 training and 4 validation images per class."""
    return make_toy_shapes(str(tmp_path_factory.mktemp('toy_shapes')), {'train': 8, 'val': 4})


@pytest.fixture(scope='module')
def vkd_cfg():
    """The toy V_kD distiller's model config, with the config's data preprocessor."""
    cfg = Config.fromfile(TOY_VKD_CONFIG)
    model = copy.deepcopy(cfg.model)
    model.data_preprocessor = cfg.data_preprocessor
    return model


@pytest.fixture(scope='module')
def mmdet_scope():
    """Build in MMDetection's scope, whatever scope an earlier test left as the default."""
    from mmdet.utils import register_all_modules
    from mmengine.registry import DefaultScope
    register_all_modules(init_default_scope=False)
    with DefaultScope.overwrite_default_scope('mmdet'):
        yield
