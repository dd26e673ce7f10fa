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
import os.path as osp
from typing import Any, Dict, List, Tuple

from mmengine.config import Config, DictAction

from vkd_mm.experiments.module_outputs import (build_model, dummy_batch, feature_source,
                                               format_source, input_size, pick_model,
                                               record_outputs, tensor_outputs)
from vkd_mm.utils import load_config


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
