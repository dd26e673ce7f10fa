"""Find where two runs of the same seeded training first differ, tensor by tensor.

``record`` trains a config as ``tools/train.py`` does (the same config loading and run setup,
:func:`vkd_mm.experiments.prepare_training`, with checkpoints loaded ``weights_only``) for
``--iters`` iterations and stores, in the order they were made, every tensor a run computes on
the way: the loaded batch, each module's forward output, the loss terms, and every
parameter after each optimiser step. ``compare`` reads two such files and prints the first tensor
that differs (and how much), then a count of the differing ones per kind.

An OUT ending in ``.json`` stores a digest instead of the tensors: per tensor its shape, dtype,
a SHA-256 of its bytes, its sum and its largest magnitude (about 140 bytes a tensor, whatever its
size). A digest is small enough to keep beside the results or send from another machine;
``compare`` reads either form on either side and, where one side is a digest, names the first
tensor that differs and how far its sum and largest magnitude moved.

Run ``record`` under the settings to compare, one process each, since the CPU kernels are
chosen from environment variables read when torch starts::

    ATEN_CPU_CAPABILITY=avx2 python tools/analysis/numerics_trace.py record CONFIG a.pt
    ATEN_CPU_CAPABILITY=avx512 python tools/analysis/numerics_trace.py record CONFIG b.pt
    python tools/analysis/numerics_trace.py compare a.pt b.pt

Two files made on two machines compare the same way. The file also records the settings that
choose kernels (thread counts, ``ATEN_CPU_CAPABILITY``, ``MKL_CBWR``, ``ONEDNN_MAX_CPU_ISA``, the
CPU's name and torch's detected capability) and ``compare`` prints them side by side.

Usage:
    python tools/analysis/numerics_trace.py record CONFIG OUT [--iters 1] [--work-dir DIR]
        [--cfg-options k=v ...]
    python tools/analysis/numerics_trace.py compare A B [--show 10]
"""
import argparse
import hashlib
import json
import os
import tempfile
from collections import Counter
from typing import Dict, List, Tuple

import torch
from mmengine.config import DictAction
from mmengine.hooks import Hook

from vkd_mm.experiments import build_runner, cpu_name, prepare_training
from vkd_mm.utils import load_run_config

KERNEL_SETTINGS = ('OMP_NUM_THREADS', 'MKL_NUM_THREADS', 'ATEN_CPU_CAPABILITY', 'MKL_CBWR',
                   'ONEDNN_MAX_CPU_ISA', 'OPENCV_CPU_DISABLE', 'PYTHONHASHSEED')


class _TraceDone(Exception):
    """Raised after the last traced iteration to leave the training loop."""


def _tensors(value, prefix: str):
    """(name, tensor) for every floating-point or integer tensor in a nested output."""
    if isinstance(value, torch.Tensor):
        yield prefix, value
    elif isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            yield from _tensors(item, f'{prefix}[{index}]')
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _tensors(item, f'{prefix}.{key}')
    elif hasattr(value, 'to_dict'):  # data samples
        yield from _tensors(
            {
                k: v
                for k, v in value.to_dict().items() if isinstance(v, torch.Tensor)
            }, prefix)


class NumericsTraceHook(Hook):
    """Records every tensor of the first ``iters`` training iterations, in order.

    Entries are (kind, name, tensor): kind is 'batch', 'forward' (a module's output, named by
    its module path), 'loss' or 'param' (after the optimiser step).
    """

    priority = 'LOWEST'

    def __init__(self, iters: int) -> None:
        self.iters = iters
        self.entries: List[Tuple[str, str, torch.Tensor]] = []
        self._handles = []
        self._calls = Counter()

    def _add(self, kind: str, name: str, value) -> None:
        self._calls[name] += 1
        if self._calls[name] > 1:  # a module called again in the same iteration
            name = f'{name}#{self._calls[name]}'
        for label, tensor in _tensors(value, name):
            self.entries.append((kind, label, tensor.detach().cpu().clone()))

    def before_train_iter(self, runner, batch_idx: int, data_batch=None) -> None:
        it = runner.iter
        self._add('batch', f'it{it}.inputs', data_batch.get('inputs'))
        self._add('batch', f'it{it}.data_samples', data_batch.get('data_samples'))
        for name, module in runner.model.named_modules():
            self._handles.append(
                module.register_forward_hook(
                    lambda mod, args, out, name=name: self._add('forward', f'it{it}.{name}', out)))

    def after_train_iter(self, runner, batch_idx: int, data_batch=None, outputs=None) -> None:
        for handle in self._handles:
            handle.remove()
        self._handles = []
        it = runner.iter
        self._add('loss', f'it{it}.outputs', outputs)
        for name, param in runner.model.named_parameters():
            self._add('param', f'it{it}.{name}', param)
        if it + 1 >= self.iters:
            raise _TraceDone


def kernel_settings() -> Dict[str, str]:
    """What chooses the CPU kernels of this process."""
    settings = {key: os.environ.get(key, '') for key in KERNEL_SETTINGS}
    settings['cpu'] = cpu_name()
    settings['torch'] = str(torch.__version__)
    settings['torch_cpu_capability'] = torch.backends.cpu.get_cpu_capability()
    settings['torch_threads'] = str(torch.get_num_threads())
    return settings


def record(args) -> None:
    cfg = load_run_config(args.config, args.cfg_options, 'none', args.work_dir
                          or tempfile.mkdtemp(prefix='numerics_trace_'))
    cfg.default_hooks.checkpoint = dict(type='CheckpointHook', interval=-1, save_last=False)
    prepare_training(cfg, trust=False)
    runner = build_runner(cfg)
    hook = NumericsTraceHook(args.iters)
    runner.register_hook(hook)
    try:
        runner.train()
    except _TraceDone:
        pass
    if args.out.endswith('.json'):
        entries = [[kind, name, *digest(tensor)] for kind, name, tensor in hook.entries]
        with open(args.out, 'w') as out:
            json.dump(dict(settings=kernel_settings(), entries=entries), out)
    else:
        torch.save(dict(settings=kernel_settings(), entries=hook.entries), args.out)
    print(f'{len(hook.entries)} tensors of {args.iters} iteration(s) -> {args.out}')


def digest(tensor: torch.Tensor) -> list:
    """[shape, dtype, SHA-256 of the bytes (its first 16 hex digits), sum, largest magnitude] of
    a tensor; the last two are None for an empty one. Equal digests mean bitwise-equal tensors
    (to a chance of 2^-64)."""
    raw = tensor.contiguous().reshape(-1).view(torch.uint8)
    sha = hashlib.sha256(raw.numpy().tobytes()).hexdigest()[:16]
    wide = tensor.double()
    stats = [wide.sum().item(), wide.abs().max().item()] if tensor.numel() else [None, None]
    return [list(tensor.shape), str(tensor.dtype).replace('torch.', ''), sha, *stats]


def load_trace(path: str) -> dict:
    """A trace as {'settings', 'entries'}: entries (kind, name, tensor) from a full file,
    (kind, name, digest) from a ``.json`` digest."""
    if path.endswith('.json'):
        with open(path) as file:
            trace = json.load(file)
        trace['entries'] = [(kind, name, rest) for kind, name, *rest in trace['entries']]
        return trace
    return torch.load(path)


def difference(a, b) -> str:
    """'' when bitwise equal, else how they differ; a and b are tensors or digests."""
    if isinstance(a, list) or isinstance(b, list):
        as_digest = [d if isinstance(d, list) else digest(d) for d in (a, b)]
        return digest_difference(*as_digest)
    if a.shape != b.shape or a.dtype != b.dtype:
        return f'shape/dtype {tuple(a.shape)} {a.dtype} vs {tuple(b.shape)} {b.dtype}'
    if torch.equal(a, b) or (a.is_floating_point() and torch.equal(a.isnan(), b.isnan())
                             and torch.equal(a.nan_to_num(), b.nan_to_num())):
        return ''
    if not a.is_floating_point():
        return f'{int((a != b).sum())} of {a.numel()} elements differ'
    diff = (a.double() - b.double()).abs()
    scale = a.double().abs().max().item()
    return (f'max abs diff {diff.max().item():.3e} (largest |value| {scale:.3e}), '
            f'{int((diff > 0).sum())} of {a.numel()} elements differ')


def digest_difference(a: list, b: list) -> str:
    """'' when two digests are equal, else what they tell of the difference."""
    (shape_a, dtype_a, sha_a, sum_a, max_a), (shape_b, dtype_b, sha_b, sum_b, max_b) = a, b
    if shape_a != shape_b or dtype_a != dtype_b:
        return f'shape/dtype {tuple(shape_a)} {dtype_a} vs {tuple(shape_b)} {dtype_b}'
    if sha_a == sha_b:  # always so for empty tensors of one shape and dtype
        return ''
    return (f'bytes differ; sum {sum_a:.9e} vs {sum_b:.9e} (diff {abs(sum_a - sum_b):.3e}), '
            f'largest |value| {max_a:.9e} vs {max_b:.9e}')


def compare(args) -> None:
    first, second = load_trace(args.a), load_trace(args.b)
    keys = sorted(set(first['settings']) | set(second['settings']))
    print(f'{"setting":24} {"A":36} B')
    for key in keys:
        print(f'{key:24} {first["settings"].get(key, "")!s:36} {second["settings"].get(key, "")}')
    entries_b = {(kind, name): tensor for kind, name, tensor in second['entries']}
    differing, shown = Counter(), 0
    for kind, name, tensor in first['entries']:
        if (kind, name) not in entries_b:
            print(f'only in A: {kind} {name}')
            differing[kind] += 1
            continue
        text = difference(tensor, entries_b[(kind, name)])
        if text:
            differing[kind] += 1
            if shown < args.show:
                label = 'first difference' if shown == 0 else 'then'
                print(f'{label}: {kind} {name}: {text}')
                shown += 1
    total = Counter(kind for kind, _, _ in first['entries'])
    if not differing:
        print(f'bitwise equal: all {len(first["entries"])} tensors')
    for kind in total:
        print(f'{kind:8} {differing[kind]} of {total[kind]} differ')


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    commands = parser.add_subparsers(dest='command', required=True)
    rec = commands.add_parser('record', help='trace a run')
    rec.add_argument('config')
    rec.add_argument('out', help='OUT.json: a digest (hashes and sums); else the tensors')
    rec.add_argument('--iters', type=int, default=1)
    rec.add_argument('--work-dir', default=None)
    rec.add_argument('--cfg-options', nargs='+', action=DictAction)
    cmp = commands.add_parser('compare', help='the first tensor where two traces differ')
    cmp.add_argument('a', help='a trace or a .json digest')
    cmp.add_argument('b', help='a trace or a .json digest')
    cmp.add_argument('--show', type=int, default=10, help='differences printed in order')
    return parser.parse_args(argv)


def main(argv=None) -> None:
    args = parse_args(argv)
    record(args) if args.command == 'record' else compare(args)


if __name__ == '__main__':
    main()
