"""Every module output of a config's model: building the model as the analysis tools do, one
dummy batch, forward hooks on every submodule, and the ``distill`` pair entry that records an
output (tools/analysis/list_features.py, tools/analysis/feature_similarity.py)."""
import copy
from collections import OrderedDict
from typing import Any, Dict, List, Optional, Sequence, Tuple

import torch
from mmengine.config import Config
from mmengine.registry import DefaultScope
from torch import nn

from vkd_mm.registry import MODELS

__all__ = [
    'build_model', 'pick_model', 'input_size', 'dummy_batch', 'record_outputs', 'tensor_outputs',
    'feature_source', 'format_source'
]


def build_model(cfg: Config, teacher_ckpt: bool = False) -> nn.Module:
    """The config's model, built in its default scope; a distiller's teacher weights are only
    loaded when ``teacher_ckpt`` is True."""
    model_cfg = copy.deepcopy(cfg.model)
    if model_cfg.get('type') == 'VkDDistiller' and not teacher_ckpt:
        model_cfg.teacher_ckpt = None
    if cfg.get('data_preprocessor') is not None:
        model_cfg.setdefault('data_preprocessor', cfg.data_preprocessor)
    with DefaultScope.overwrite_default_scope(cfg.get('default_scope')):
        return MODELS.build(model_cfg)


def pick_model(model: nn.Module, teacher: bool) -> nn.Module:
    """The student of a distiller (the model itself otherwise), or the teacher."""
    if teacher:
        if not hasattr(model, 'teacher'):
            raise SystemExit(f'--teacher needs a distillation config; this model is a '
                             f'{type(model).__name__}')
        return model.teacher
    return getattr(model, 'student', model)


def input_size(cfg: Config, shape: Optional[Sequence[int]] = None) -> Tuple[int, int]:
    """``shape`` if given, else the size a resize or crop of the test pipeline gives, else 224."""
    if shape:
        return (shape[0], shape[-1])
    loader = cfg.get('test_dataloader') or cfg.get('val_dataloader') or {}
    pipeline = loader.get('dataset', {}).get('pipeline', []) if loader else []
    size = None
    for step in pipeline:
        for key in ('scale', 'crop_size', 'size'):
            value = step.get(key) if isinstance(step, dict) else None
            if isinstance(value, int):
                size = (value, value)
            elif isinstance(value, (tuple, list)) and len(value) == 2:
                # NOTE mmcv scales are (w, h)
                size = (value[1], value[0])
    return size or (224, 224)


def dummy_batch(cfg: Config,
                size: Tuple[int, int],
                batch: int = 2,
                num_classes: int = 2) -> Dict[str, Any]:
    """A batch in the format of the config's dataloader (before the data preprocessor): random
    uint8 images of ``size`` with one box (MMDetection) or one label (otherwise) each."""
    height, width = size
    inputs = [torch.randint(0, 256, (3, height, width), dtype=torch.uint8) for _ in range(batch)]
    scope = cfg.get('default_scope')
    if scope == 'mmdet':
        from mmdet.structures import DetDataSample
        from mmengine.structures import InstanceData
        samples = []
        for _ in range(batch):
            sample = DetDataSample(
                metainfo=dict(img_shape=size, ori_shape=size, scale_factor=(1., 1.)))
            sample.gt_instances = InstanceData(
                bboxes=torch.tensor([[width / 4, height / 4, width * 3 / 4, height * 3 / 4]]),
                labels=torch.tensor([0]))
            samples.append(sample)
        return dict(inputs=inputs, data_samples=samples)
    if scope == 'mmpretrain':
        from mmpretrain.structures import DataSample
        return dict(
            inputs=inputs,
            data_samples=[DataSample().set_gt_label(i % num_classes) for i in range(batch)])
    return dict(inputs=torch.stack(inputs).float())


def tensor_outputs(output: Any) -> List[Tuple[Optional[int], torch.Tensor]]:
    """(index, tensor) for a tensor output (index None) or each tensor of a tuple/list."""
    if isinstance(output, torch.Tensor):
        return [(None, output)]
    if isinstance(output, (tuple, list)):
        return [(i, item) for i, item in enumerate(output) if isinstance(item, torch.Tensor)]
    return []


def record_outputs(model: nn.Module, run) -> 'OrderedDict[str, Tuple[Any, int]]':
    """Run ``run()`` with a forward hook on every submodule of ``model``.

    Returns:
        OrderedDict: module path -> (its last output, how many times it ran), in the order the
        modules first ran.
    """
    seen: 'OrderedDict[str, Tuple[Any, int]]' = OrderedDict()
    handles = []

    def make_hook(path: str):

        def hook(module, args, output):
            calls = seen[path][1] + 1 if path in seen else 1
            seen[path] = (output, calls)

        return hook

    for path, module in model.named_modules():
        if path:
            handles.append(module.register_forward_hook(make_hook(path)))
    try:
        with torch.no_grad():
            run()
    finally:
        for handle in handles:
            handle.remove()
    return seen


def feature_source(path: str, index: Optional[int], tensor: torch.Tensor,
                   batch: int) -> Dict[str, Any]:
    """The ``student=`` / ``teacher=`` dict of a distill pair that records this output."""
    source: Dict[str, Any] = dict(path=path)
    if index is not None:
        source['index'] = index
    if tensor.dim() >= 2 and tensor.shape[0] == batch and tensor.dim() in (2, 4):
        source['channels'] = int(tensor.shape[1])
    elif tensor.dim() == 3 and tensor.shape[0] == batch:
        source['channels'] = int(tensor.shape[-1])
    else:
        # NOTE leading dimensions other than the batch: flatten to (M, C) tokens
        source['channels'] = int(tensor.shape[-1])
        source['channels_last'] = True
    return source


def format_source(source: Dict[str, Any]) -> str:
    """``dict(path='...', index=0, channels=64)``, ready to paste."""
    return 'dict(' + ', '.join(f'{key}={value!r}' for key, value in source.items()) + ')'
