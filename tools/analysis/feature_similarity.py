"""Linear CKA between the student's and the teacher's layers of a distillation config.

Runs a few batches of the config's data through the student and the teacher (``tensor`` mode,
the distiller's data preprocessor), reduces every candidate layer's output to one vector per
image (feature maps: average-pooled to a ``--grid`` x ``--grid`` grid and flattened; tokens:
averaged), and measures linear CKA (Kornblith et al., "Similarity of Neural Network
Representations Revisited", ICML 2019, https://arxiv.org/abs/1905.00414) between every student
and every teacher layer over all the images. CKA is invariant to orthogonal transforms and
isotropic scaling of either side, which is what V_kD's orthogonal projector can and cannot undo,
so a high value marks a pair the projector can match.

Writes ``cka_heatmap.png`` and ``cka_table.csv`` to ``--out-dir`` and prints the table and the
best one-to-one pairs as ready-to-paste ``distill`` entries.

Usage:
    python tools/analysis/feature_similarity.py CONFIG [--checkpoint DISTILL_CKPT]
        [--batches 4] [--split val|train] [--student-layers P ...] [--teacher-layers P ...]
        [--max-depth 2] [--grid 1] [--top-k 3] [--out-dir DIR]

Without ``--checkpoint`` the student is as initialised and the teacher has the config's
``teacher_ckpt``; with it, both come from the checkpoint (a distillation run's).
"""
import argparse
import copy
import csv
import os
import os.path as osp
from typing import Dict, List, Optional, Sequence, Tuple

import torch
import torch.nn.functional as F
from mmengine.config import Config, DictAction
from mmengine.registry import DefaultScope
from mmengine.runner import Runner

from vkd_mm.experiments.module_outputs import (build_model, feature_source, format_source,
                                               record_outputs, tensor_outputs)
from vkd_mm.utils import (add_trust_checkpoint_argument, extract_state_dict, load_config,
                          load_tool_checkpoint)

__all__ = ['reduce_feature', 'cka_matrix', 'best_pairs']

Layer = Tuple[str, Optional[int]]  # (module path, index in a tuple output or None)


def reduce_feature(tensor: torch.Tensor, batch: int, grid: int) -> Optional[torch.Tensor]:
    """One row per image: (B, C, H, W) -> (B, C * grid**2), (B, N, C) -> (B, C), (B, C) as is;
    None for an output whose first dimension is not the batch."""
    if tensor.dim() < 2 or tensor.shape[0] != batch or tensor.dim() > 4:
        return None
    tensor = tensor.detach().float()
    if tensor.dim() == 4:
        # [B, C, H, W] -> [B, C * grid * grid]
        return F.adaptive_avg_pool2d(tensor, grid).flatten(1)
    if tensor.dim() == 3:
        # [B, N, C] -> [B, C]
        return tensor.mean(1)
    return tensor


def _unit_centred_gram(features: torch.Tensor) -> torch.Tensor:
    """The centred Gram matrix of (n, d) features, flattened and scaled to unit norm."""
    features = features.double()
    centred = features - features.mean(0, keepdim=True)
    gram = (centred @ centred.t()).flatten()
    return gram / gram.norm().clamp_min(1e-30)


def cka_matrix(student: Sequence[torch.Tensor], teacher: Sequence[torch.Tensor]) -> torch.Tensor:
    """Linear CKA of every (student, teacher) pair of (n, d) feature matrices, rows paired.

    ``CKA(X, Y) = <K_c, L_c>_F / (||K_c||_F ||L_c||_F)`` with centred Gram matrices
    ``K_c = X_c X_c^T``; equal to ``||Y_c^T X_c||_F^2 / (||X_c^T X_c||_F ||Y_c^T Y_c||_F)``.

    Returns:
        Tensor: (len(student), len(teacher)) float64 in [0, 1].
    """
    grams_s = torch.stack([_unit_centred_gram(x) for x in student])
    grams_t = torch.stack([_unit_centred_gram(y) for y in teacher])
    return grams_s @ grams_t.t()


def best_pairs(cka: torch.Tensor, top_k: int) -> List[Tuple[int, int, float]]:
    """Greedy one-to-one matching: the highest CKA first, each layer used at most once."""
    order = torch.argsort(cka.flatten(), descending=True)
    used_s, used_t, pairs = set(), set(), []
    for flat in order.tolist():
        i, j = divmod(flat, cka.shape[1])
        if i in used_s or j in used_t:
            continue
        pairs.append((i, j, float(cka[i, j])))
        used_s.add(i)
        used_t.add(j)
        if len(pairs) == top_k:
            break
    return pairs


def candidate_layers(outputs, batch: int, max_depth: int,
                     wanted: Optional[Sequence[str]]) -> List[Layer]:
    """Layers with a per-image tensor output: the ``wanted`` paths, or every path of at most
    ``max_depth`` parts; an output that is the same tensor as an earlier one is kept once."""
    layers, seen = [], set()
    for path, (output, _) in outputs.items():
        if wanted is not None and path not in wanted:
            continue
        if wanted is None and path.count('.') >= max_depth:
            continue
        for index, tensor in tensor_outputs(output):
            key = (tensor.data_ptr(), tuple(tensor.shape))
            if key in seen or reduce_feature(tensor, batch, 1) is None:
                continue
            seen.add(key)
            layers.append((path, index))
    missing = set(wanted or ()) - {path for path, _ in layers}
    if missing:
        raise SystemExit(f'no per-image tensor output recorded at {sorted(missing)}; see '
                         f'tools/analysis/list_features.py for the paths')
    return layers


def layer_name(layer: Layer) -> str:
    path, index = layer
    return path if index is None else f'{path}[{index}]'


def collect(cfg: Config, model, split: str, batches: int, grid: int, max_depth: int, student_layers,
            teacher_layers):
    """Run ``batches`` batches; returns per side the layers, their (n, d) features and the
    shape and distill source of each layer's output."""
    loader_cfg = copy.deepcopy(cfg[f'{split}_dataloader'])
    loader_cfg['num_workers'] = 0
    loader_cfg.pop('persistent_workers', None)
    scope = cfg.get('default_scope')
    with DefaultScope.overwrite_default_scope(scope):
        loader = Runner.build_dataloader(loader_cfg, seed=0)
    sides = {'student': (model.student, student_layers), 'teacher': (model.teacher, teacher_layers)}
    layers: Dict[str, List[Layer]] = {}
    feats: Dict[str, Dict[Layer, List[torch.Tensor]]] = {side: {} for side in sides}
    info: Dict[str, Dict[Layer, Tuple[tuple, dict]]] = {side: {} for side in sides}
    model.eval()
    for step, data_batch in enumerate(loader):
        if step == batches:
            break
        data = model.data_preprocessor(data_batch, False)
        batch = len(data['inputs'])
        for side, (network, wanted) in sides.items():
            outputs = record_outputs(network, lambda: network(**data, mode='tensor'))
            if side not in layers:
                layers[side] = candidate_layers(outputs, batch, max_depth, wanted)
            for layer in layers[side]:
                path, index = layer
                tensor = dict(tensor_outputs(outputs[path][0]))[index]
                feats[side].setdefault(layer, []).append(reduce_feature(tensor, batch, grid))
                info[side].setdefault(
                    layer, (tuple(tensor.shape[1:]), feature_source(path, index, tensor, batch)))
    matrices = {side: [torch.cat(feats[side][layer]) for layer in layers[side]] for side in sides}
    return layers, matrices, info


def distill_entry(student: Tuple[tuple, dict], teacher: Tuple[tuple, dict], score: float) -> str:
    """A ``distill`` pair (V_kD defaults) for two layers; pooled when their grids differ."""
    (shape_s, source_s), (shape_t, source_t) = student, teacher
    source_s, source_t = dict(source_s), dict(source_t)
    spatial_s = shape_s[1:] if len(shape_s) == 3 else shape_s[:-1] if len(shape_s) == 2 else ()
    spatial_t = shape_t[1:] if len(shape_t) == 3 else shape_t[:-1] if len(shape_t) == 2 else ()
    if spatial_s != spatial_t:
        source_s['pool'] = source_t['pool'] = 'avg'
    name = f"{source_s['path'].split('.')[-1]}_{source_t['path'].split('.')[-1]}"
    return (f"    dict(name={name!r}, student={format_source(source_s)}, "
            f"teacher={format_source(source_t)}),  # CKA {score:.3f}")


def draw_heatmap(cka: torch.Tensor, student: List[str], teacher: List[str], title: str,
                 path: str) -> None:
    import matplotlib
    matplotlib.use('Agg')  # NOTE no display: only files are written
    import matplotlib.pyplot as plt

    figure, axis = plt.subplots(
        figsize=(1.2 + 0.55 * len(teacher), 1.2 + 0.45 * len(student)), constrained_layout=True)
    image = axis.imshow(cka.numpy(), vmin=0, vmax=1, cmap='viridis')
    axis.set_xticks(range(len(teacher)), teacher, rotation=60, ha='right', fontsize='small')
    axis.set_yticks(range(len(student)), student, fontsize='small')
    axis.set_xlabel('teacher layer')
    axis.set_ylabel('student layer')
    axis.set_title(title, fontsize='small')
    if len(student) * len(teacher) <= 400:
        for i in range(len(student)):
            for j in range(len(teacher)):
                axis.text(
                    j,
                    i,
                    f'{cka[i, j]:.2f}',
                    ha='center',
                    va='center',
                    fontsize=6,
                    color='white' if cka[i, j] < 0.6 else 'black')
    figure.colorbar(image, ax=axis, label='linear CKA')
    figure.savefig(path, dpi=100)
    plt.close(figure)


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config', help='a distillation config (VkDDistiller)')
    parser.add_argument('--checkpoint', help='checkpoint of a distillation run')
    add_trust_checkpoint_argument(parser)
    parser.add_argument('--batches', type=int, default=4, help='batches of data to use')
    parser.add_argument(
        '--split',
        choices=['val', 'train', 'test'],
        default='val',
        help="the config's dataloader to read")
    parser.add_argument('--student-layers', nargs='+', help='student module paths to compare')
    parser.add_argument('--teacher-layers', nargs='+', help='teacher module paths to compare')
    parser.add_argument(
        '--max-depth',
        type=int,
        default=2,
        help='without --*-layers: every path of at most this many parts')
    parser.add_argument(
        '--grid',
        type=int,
        default=1,
        help='feature maps are average-pooled to grid x grid before CKA')
    parser.add_argument('--top-k', type=int, default=3, help='pairs to suggest')
    parser.add_argument('--out-dir', help='default: work_dirs/feature_similarity/<config>')
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
    if cfg.model.get('type') != 'VkDDistiller':
        raise SystemExit(f'{args.config} is not a distillation config (model type '
                         f'{cfg.model.get("type")!r})')
    name = osp.splitext(osp.basename(args.config))[0]
    out_dir = args.out_dir or osp.join('work_dirs', 'feature_similarity', name)
    os.makedirs(out_dir, exist_ok=True)

    model = build_model(cfg, teacher_ckpt=args.checkpoint is None)
    if args.checkpoint:
        state = extract_state_dict(load_tool_checkpoint(args))
        missing, _ = model.load_state_dict(state, strict=False)
        missing = [key for key in missing if key.startswith(('student.', 'teacher.'))]
        if missing:
            raise SystemExit(f'{args.checkpoint} lacks {len(missing)} student/teacher weights, '
                             f'e.g. {missing[:3]}')

    with torch.no_grad():
        layers, matrices, info = collect(cfg, model, args.split, args.batches, args.grid,
                                         args.max_depth, args.student_layers, args.teacher_layers)
    cka = cka_matrix(matrices['student'], matrices['teacher']).float()
    rows = [layer_name(layer) for layer in layers['student']]
    cols = [layer_name(layer) for layer in layers['teacher']]
    images = matrices['student'][0].shape[0]

    with open(osp.join(out_dir, 'cka_table.csv'), 'w', newline='') as file:
        writer = csv.writer(file)
        writer.writerow(['student \\ teacher'] + cols)
        for row, values in zip(rows, cka.tolist()):
            writer.writerow([row] + [f'{value:.4f}' for value in values])
    draw_heatmap(cka, rows, cols, f'linear CKA, {name}, {images} images, grid {args.grid}',
                 osp.join(out_dir, 'cka_heatmap.png'))

    print(f'linear CKA over {images} images of the {args.split} split ({args.batches} batches), '
          f'feature maps pooled to {args.grid}x{args.grid}')
    width = max(len(row) for row in rows)
    print(' ' * width + '  ' + '  '.join(f'{j:>5}' for j in range(len(cols))))
    for row, values in zip(rows, cka.tolist()):
        print(f'{row:<{width}}  ' + '  '.join(f'{value:5.2f}' for value in values))
    print('teacher columns: ' + ', '.join(f'{j}={col}' for j, col in enumerate(cols)))
    print(f'wrote {osp.join(out_dir, "cka_heatmap.png")} and '
          f'{osp.join(out_dir, "cka_table.csv")}')
    print('best pairs (greedy, one-to-one), ready to paste:')
    print('distill=[')
    for i, j, score in best_pairs(cka, args.top_k):
        print(
            distill_entry(info['student'][layers['student'][i]],
                          info['teacher'][layers['teacher'][j]], score))
    print(']')


if __name__ == '__main__':
    main()
