"""Every shipped config builds its model (teacher weights are not loaded)."""
import copy
import glob
import importlib
import os.path as osp
from typing import List

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import DefaultScope
from torch import nn

from vkd_mm.datasets import TOY_SHAPE_CLASSES
from vkd_mm.registry import MODELS
from .conftest import REPO_ROOT

DISTILLERS = ('VkDDistiller', 'TokenMatchingDistiller')
# the GAN configs (their teacher is a local CLIP path) are built in test_biggan.py, the
# Fashion-MNIST ones (1-channel 28 x 28 input) in test_kd_fashion_mnist.py, the CIFAR-100 ones
# (a training step at 32 x 32) in test_cifar_configs.py
CONFIGS = sorted(
    p for p in glob.glob(osp.join(REPO_ROOT, 'configs/**/*.py'), recursive=True)
    if '_base_' not in osp.relpath(p, REPO_ROOT) and not osp.relpath(p, REPO_ROOT).startswith(
        ('configs/biggan/', 'configs/fashion_mnist/', 'configs/cifar100/')))


def dataset_classes(cfg: Config) -> int:
    """The class count of the config's training set: its ``metainfo``, else its type's."""
    dataset = cfg.train_dataloader.dataset
    while 'dataset' in dataset:  # dataset wrappers
        dataset = dataset.dataset
    classes = (dataset.get('metainfo') or {}).get('classes')
    if classes is None and dataset.type == 'CustomDataset':  # one folder per class
        assert 'toy_shapes' in dataset.data_root, dataset.data_root
        classes = TOY_SHAPE_CLASSES
    if classes is None:
        registry = importlib.import_module(f'{cfg.default_scope}.registry').DATASETS
        classes = registry.get(dataset.type).METAINFO['classes']
    return len(classes)


def flatten(output) -> List[torch.Tensor]:
    if isinstance(output, torch.Tensor):
        return [output]
    return [tensor for item in output for tensor in flatten(item)]


def class_dims(model, output) -> List[int]:
    """The class dimension of each class-score tensor of a tensor-mode output: a classifier's
    logits (B, classes); a dense detector's first outputs (B, priors * classes, H, W) per level;
    a query detector's (..., queries, classes)."""
    if isinstance(output, torch.Tensor):
        return [output.shape[1]]
    scores = flatten(output[0])
    priors = getattr(model.bbox_head, 'num_base_priors', None)
    if priors:
        assert all(score.shape[1] % priors == 0 for score in scores)
        return [score.shape[1] // priors for score in scores]
    return [score.shape[-1] for score in scores]


def num_classes(model: nn.Module) -> int:
    """The class count of a classifier's or detector's head (of the timm model inside
    MMPretrain's ``TimmClassifier``)."""
    for name in ('head', 'bbox_head', 'model'):
        if hasattr(getattr(model, name, None), 'num_classes'):
            return getattr(model, name).num_classes
    raise AssertionError(f'{type(model).__name__} has no head with num_classes')


@pytest.mark.parametrize('path', CONFIGS, ids=lambda p: osp.relpath(p, REPO_ROOT))
def test_config_builds(path):
    """The model builds with as many classes as its training set has; a distiller's teacher
    too, frozen, and its tensor mode gives the student's class scores for a random batch."""
    cfg = Config.fromfile(path)
    model = copy.deepcopy(cfg.model)
    if model.get('type') in DISTILLERS:
        model.teacher_ckpt = None
        for pair in model.get('logit_distill', []):
            if 'cost_matrix' in pair.loss:  # the cost file of a real run is not shipped
                pair.loss.cost_matrix = torch.rand(pair.student.channels, pair.student.channels)
    model.setdefault('data_preprocessor', cfg.get('data_preprocessor'))
    with DefaultScope.overwrite_default_scope(cfg.default_scope):
        built = MODELS.build(model)
    classes = dataset_classes(cfg)
    if model.get('type') not in DISTILLERS:
        assert num_classes(built) == classes
        return
    assert num_classes(built.student) == classes
    assert num_classes(built.teacher) == classes
    assert len(built.pairs) == len(model.get('distill', [])) + len(model.get('logit_distill', []))
    assert not any(p.requires_grad for p in built.teacher.parameters())
    size = 32 if 'toy-shapes' in osp.basename(path) else 64
    with torch.no_grad():
        output = built.eval()(torch.randn(2, 3, size, size), mode='tensor')
    assert all(torch.isfinite(tensor).all() for tensor in flatten(output))
    dims = class_dims(built.student, output)
    assert dims and all(dim == classes for dim in dims), dims


def demo_batch(student, scope, size, batch_size=4):
    """A random batch in the data format of the student's library."""
    if scope == 'mmdet':
        from mmdet.testing import demo_mm_inputs
        return demo_mm_inputs(
            batch_size, [[3, size, size]] * batch_size, num_classes=student.bbox_head.num_classes)
    from mmpretrain.structures import DataSample
    num_classes = student.head.num_classes
    return dict(
        inputs=[
            torch.randint(0, 256, (3, size, size), dtype=torch.uint8) for _ in range(batch_size)
        ],
        data_samples=[DataSample().set_gt_label(i % num_classes) for i in range(batch_size)])


DISTILL_CONFIGS = [p for p in CONFIGS if Config.fromfile(p).model.get('type') in DISTILLERS]


@pytest.mark.parametrize('path', DISTILL_CONFIGS, ids=lambda p: osp.relpath(p, REPO_ROOT))
def test_distill_config_train_step(path):
    """One loss + backward per distillation config at a tiny image size: every term finite,
    the teacher untouched by gradients."""
    cfg = Config.fromfile(path)
    model = copy.deepcopy(cfg.model)
    model.teacher_ckpt = None
    for pair in model.get('logit_distill', []):
        if 'cost_matrix' in pair.loss:
            pair.loss.cost_matrix = torch.rand(pair.student.channels, pair.student.channels)
    model.setdefault('data_preprocessor', cfg.get('data_preprocessor'))
    # WKD-F's 4 x 4 grid needs the 7 x 7 last stage of a 224 input
    name = osp.basename(path)
    size = 32 if 'toy-shapes' in name else 224 if name.startswith('wkd') else 64
    with DefaultScope.overwrite_default_scope(cfg.default_scope):
        built = MODELS.build(model).train()
        batch = demo_batch(built.student, cfg.default_scope, size)
        data = built.data_preprocessor(batch, True)
        losses = built(**data, mode='loss')
    assert any(k.startswith('loss_') and k != 'loss' for k in losses)
    # mmdet heads return one loss per pyramid level
    terms = {
        k: torch.stack(list(v)).sum() if isinstance(v, (list, tuple)) else v
        for k, v in losses.items() if 'loss' in k
    }
    for key, value in terms.items():
        assert torch.isfinite(value).all(), key
    sum(terms.values()).backward()
    assert all(p.grad is None for p in built.teacher.parameters())


@pytest.mark.parametrize('path', CONFIGS, ids=lambda p: osp.relpath(p, REPO_ROOT))
def test_train_pipeline_runs(path):
    """The training transforms after loading run on an image, so their names and args are
    valid in the config's scope."""
    import numpy as np
    from mmcv.transforms import Compose
    from mmdet.structures.bbox import HorizontalBoxes
    cfg = Config.fromfile(path)
    with DefaultScope.overwrite_default_scope(cfg.default_scope):
        pipeline = Compose([
            t for t in cfg.train_dataloader.dataset.pipeline
            if t['type'] not in ('LoadImageFromFile', 'CheckedLoadImageFromFile', 'LoadAnnotations')
        ])
        image = np.random.randint(0, 256, (48, 40, 3), dtype=np.uint8)
        results = dict(img=image, img_shape=image.shape[:2], ori_shape=image.shape[:2])
        if cfg.default_scope == 'mmdet':
            results.update(
                gt_bboxes=HorizontalBoxes(torch.tensor([[2., 3., 20., 30.]])),
                gt_bboxes_labels=np.array([0]),
                gt_ignore_flags=np.array([False]))
        else:
            results.update(gt_label=0)
        results = pipeline(results)
    assert 'inputs' in results and 'data_samples' in results
