"""List every module output of a config's student (or teacher), in the form a `distill` pair takes.

One dummy batch (random images of the config's input size, one box or label each) goes through
the config's data preprocessor and the model in ``tensor`` mode (``--mode loss`` runs the path the
distiller records the student on). Every module that returns a tensor, or a tuple or list of
tensors, is printed with its output shape, its channel count and the ``student=`` / ``teacher=``
entry of a ``distill`` pair that records it::

    backbone.layer4   (2, 256, 4, 4)   256   dict(path='backbone.layer4', channels=256)
    neck              (2, 256)         256   dict(path='neck', index=0, channels=256)

A module called several times in one forward is marked: the distiller records its last call.
A feature whose first dimension is not the batch (a DETR decoder's stacked layers,
(layers, B, N, C)) gets ``channels_last=True``.

Usage:
    python tools/analysis/list_features.py CONFIG [--teacher] [--shape H [W]] [--batch 2]
        [--mode tensor|loss] [--grep TEXT] [--max-depth N]
"""
import argparse
import copy
import os.path as osp
from collections import OrderedDict
from typing import Any, Dict, List, Optional, Sequence, Tuple

import torch
from mmengine.config import Config, DictAction
from mmengine.registry import DefaultScope
from torch import nn

from vkd_mm.registry import MODELS
from vkd_mm.utils import load_config

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


def list_features(cfg: Config, teacher: bool, size: Tuple[int, int], batch: int,
                  mode: str) -> List[Dict[str, Any]]:
    """Rows (path, shape, channels, source, calls) for every tensor output of the model."""
    distiller = build_model(cfg)
    model = pick_model(distiller, teacher).eval()
    preprocessor = getattr(distiller, 'data_preprocessor', None)
    num_classes = getattr(getattr(model, 'head', None), 'num_classes', 2)
    data = dummy_batch(cfg, size, batch, num_classes)
    if preprocessor is not None and cfg.get('default_scope') in ('mmdet', 'mmpretrain'):
        data = preprocessor(data, mode == 'loss')
    outputs = record_outputs(model, lambda: model(**data, mode=mode))
    rows = []
    for path, (output, calls) in outputs.items():
        for index, tensor in tensor_outputs(output):
            if tensor.dim() < 2:
                continue
            source = feature_source(path, index, tensor, batch)
            rows.append(
                dict(
                    path=path,
                    index=index,
                    shape=tuple(tensor.shape),
                    channels=source['channels'],
                    source=source,
                    calls=calls))
    return rows


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config', help='a model or distillation config')
    parser.add_argument(
        '--teacher',
        action='store_true',
        help="list the distiller's teacher instead of its student")
    parser.add_argument(
        '--shape',
        type=int,
        nargs='+',
        help='input height [width]; default: from the test pipeline, else 224')
    parser.add_argument('--batch', type=int, default=2, help='images in the dummy batch')
    parser.add_argument(
        '--mode',
        choices=['tensor', 'loss'],
        default='tensor',
        help="the forward mode; 'loss' is the path the distiller records the "
        'student on')
    parser.add_argument('--grep', help='only paths containing this text')
    parser.add_argument('--max-depth', type=int, help='only paths of at most this many parts')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override settings of the config, xxx=yyy format')
    return parser.parse_args()


def main():
    args = parse_args()
    cfg = load_config(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    size = input_size(cfg, args.shape)
    role = 'teacher' if args.teacher else 'student'
    rows = list_features(cfg, args.teacher, size, args.batch, args.mode)
    if args.grep:
        rows = [row for row in rows if args.grep in row['path']]
    if args.max_depth:
        rows = [row for row in rows if row['path'].count('.') < args.max_depth]
    print(f'{role} of {osp.basename(args.config)}: input ({args.batch}, 3, {size[0]}, '
          f'{size[1]}), mode {args.mode!r}; paste an entry as `{role}=` of a distill pair')
    width = max([len(row['path']) + (5 if row['index'] is not None else 0) for row in rows] + [4])
    print(f'{"path":<{width}}  {"output shape":<22}  {"channels":>8}  {role}=')
    for row in rows:
        name = row['path'] + (f'[{row["index"]}]' if row['index'] is not None else '')
        note = f'  # runs {row["calls"]}x, the last call is recorded' if row['calls'] > 1 else ''
        print(f'{name:<{width}}  {str(row["shape"]):<22}  {row["channels"]:>8}  '
              f'{format_source(row["source"])}{note}')


if __name__ == '__main__':
    main()
