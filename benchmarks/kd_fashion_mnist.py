"""Distillation methods compared on real data: Fashion-MNIST, CNN -> CNN and ViT <- CNN.

What it runs (configs/fashion_mnist/, see its README.md):

1. The teacher, a ResNet-18 of width 8, trained once on the training subset and cached in the
   work dir under a hash of its config and of the data files (a second run reuses it).
2. WKD-L's category costs from the teacher (CategoryCostLoop, as tools/wkd_cost_matrix.py
   runs it), cached beside it.
3. Every row (student alone, KD, FitNet, V_kD, its ablations, WKD-L, V_kD + KD) for both
   students (ResNet-18 w4; a 4-layer ViT) and every seed, each trained with the same schedule
   and evaluated on the 10,000 test images with MMPretrain's ``Accuracy``: after every epoch
   for the rows of the curves, after the last one for the others (evaluation does not touch
   the training's random streams, so the final figure is the same either way).

It prints a table of top-1 mean +- std over the seeds per row, with the median time of a
training step and the memory a step holds (the paper's Table 8), writes a PNG of test top-1
against epoch for the main rows (the paper's Fig. 5), and prints the command, the git commit and
the machine beside them. Each finished run is stored in ``results.json``; a rerun with the same
settings skips what is there.

The step memory is counted, not sampled, so it is the same on every machine: the weights, the
gradients and AdamW's two moments of everything trained, the frozen teacher's weights, and the
tensors autograd saves for the backward pass (from ``torch.autograd.graph.saved_tensors_hooks``
over one step). On a GPU the CUDA allocator's peak is printed too.

Usage:
    python benchmarks/kd_fashion_mnist.py [--seeds 0 1 2] [--students resnet vit]
        [--rows student kd ...] [--train-size 5000] [--epochs 4] [--threads 2]
        [--data-root /usr/share/datasets/fashion-mnist] [--work-dir work_dirs/kd_fashion_mnist]
        [--teacher-dtype bf16]   # the distillers' frozen teacher under bf16 autocast
    python benchmarks/kd_fashion_mnist.py --quick   # every row, a few iterations
    python benchmarks/kd_fashion_mnist.py --report  # the table of what is stored, no training
"""
import argparse
import contextlib
import copy
import fcntl
import hashlib
import json
import os
import os.path as osp
import platform
import shlex
import statistics
import subprocess
import sys
import time
from typing import Dict, List, Optional

os.environ.setdefault('CUBLAS_WORKSPACE_CONFIG', ':4096:8')  # deterministic cuBLAS on a GPU

import torch
from mmengine.config import Config
from mmengine.hooks import Hook
from mmengine.registry import HOOKS
from mmengine.runner import Runner

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
CONFIGS = osp.join(REPO, 'configs/fashion_mnist')
TEACHER_CONFIG = 'resnet18-w8_15e_fashion-mnist.py'
TEACHER_NAME = 'ResNet-18 w8'
# key -> (name in the table, config stem)
STUDENTS = {
    'resnet': ('ResNet-18 w4', 'resnet18-w4'),
    'vit': ('ViT d64, 4 layers, 7x7 patches', 'vit-d64-l4-p7'),
    'deit': ('DeiT-style ViT d64 (conv stem, distillation head)', 'deit-cs-d64-l4-p7'),
}
# key -> name in the table; 'student' is the student trained alone
ROWS = {
    'student': 'student alone',
    'kd': 'KD (Hinton, T=4)',
    'fitnet': 'FitNet (linear proj., no norm, L2)',
    'vkd': 'V_kD (orthogonal proj. + LayerNorm target)',
    'vkd-nonorm': 'V_kD without normalisation',
    'vkd-linear': 'V_kD with a linear projector',
    'vkd-mlp': 'V_kD with an MLP projector',
    'wkd-l': 'WKD-L',
    'vkd-kd': 'V_kD + KD',
    'deit': 'DeiT distillation head (KL, T=1)',
    'deit-vkd': 'DeiT head + V_kD (orthogonal, layer norm)',
    'deit-vkd-linear': 'DeiT head + linear proj., layer norm',
    'deit-vkd-nonorm': 'DeiT head + orthogonal, no norm',
    'deit-vkd-linear-nonorm': 'DeiT head + linear proj., no norm',
}
DEIT_ROWS = ('deit', 'deit-vkd', 'deit-vkd-linear', 'deit-vkd-nonorm', 'deit-vkd-linear-nonorm')
# the rows each student has, the first its baseline ('vs' column)
_PLAIN_ROWS = tuple(row for row in ROWS if row not in DEIT_ROWS)
STUDENT_ROWS = {'resnet': _PLAIN_ROWS, 'vit': _PLAIN_ROWS, 'deit': DEIT_ROWS}
CURVE_ROWS = ('student', 'kd', 'fitnet', 'vkd', 'vkd-linear', 'vkd-mlp', 'deit', 'deit-vkd')
QUICK = dict(train_size=128, test_size=100, epochs=1, teacher_epochs=1, batch_size=64)


def row_config(student: str, row: str) -> str:
    stem = STUDENTS[student][1]
    name = f'{stem}_4e' if row == 'student' else f'{row}_{stem}_resnet18-w8_4e'
    return osp.join(CONFIGS, f'{name}_fashion-mnist.py')


@HOOKS.register_module(force=True)
class KDBenchmarkHook(Hook):
    """Records test top-1 after every validation, step times and one step's memory.

    The step time runs from ``before_train_iter`` to ``after_train_iter`` (forward, backward and
    optimiser step; not data loading), skipping the first ``warmup`` iterations and the one whose
    memory is counted.
    """

    priority = 'LOWEST'

    def __init__(self, warmup: int = 1) -> None:
        self.warmup = warmup
        self.accuracy: List[float] = []
        self.step_times: List[float] = []
        self.saved_bytes: Optional[int] = None
        self.cuda_peak: Optional[int] = None
        self._start = 0.0
        self._saved: Dict[int, int] = {}
        self._context = None
        self._param_ptrs = set()

    def before_train(self, runner) -> None:
        self._param_ptrs = {p.untyped_storage().data_ptr() for p in runner.model.parameters()}

    def before_train_iter(self, runner, batch_idx: int, data_batch=None) -> None:
        if runner.iter == self.warmup - 1:  # the iteration whose memory is counted
            self._saved = {}

            def pack(tensor):
                storage = tensor.untyped_storage()
                if storage.data_ptr() not in self._param_ptrs:
                    self._saved[storage.data_ptr()] = storage.nbytes()
                return tensor

            self._context = torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t)
            self._context.__enter__()
            if torch.cuda.is_available():
                torch.cuda.reset_peak_memory_stats()
        if torch.cuda.is_available():
            torch.cuda.synchronize()
        self._start = time.perf_counter()

    def after_train_iter(self, runner, batch_idx: int, data_batch=None, outputs=None) -> None:
        if torch.cuda.is_available():
            torch.cuda.synchronize()
        elapsed = time.perf_counter() - self._start
        if self._context is not None:
            self._context.__exit__(None, None, None)
            self._context = None
            self.saved_bytes = sum(self._saved.values())
            if torch.cuda.is_available():
                self.cuda_peak = torch.cuda.max_memory_allocated()
        elif runner.iter >= self.warmup:
            self.step_times.append(elapsed)

    def after_val_epoch(self, runner, metrics=None) -> None:
        if metrics and 'accuracy/top1' in metrics:
            self.accuracy.append(float(metrics['accuracy/top1']))
            print(f'    epoch {runner.epoch}: top-1 {self.accuracy[-1]:.2f}', flush=True)


_lock_wait = [0.0]  # seconds spent waiting for --lock, for the report


@contextlib.contextmanager
def cpu_lock(path: Optional[str]):
    """Hold an exclusive flock on ``path`` (when given) for the duration of the block, so that a
    shared machine's other heavy jobs take turns with each training run."""
    if not path:
        yield
        return
    with open(path, 'a') as handle:
        start = time.perf_counter()
        fcntl.flock(handle, fcntl.LOCK_EX)
        _lock_wait[0] += time.perf_counter() - start
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def file_hash(paths: List[str]) -> str:
    digest = hashlib.sha256()
    for path in paths:
        with open(path, 'rb') as f:
            digest.update(f.read())
    return digest.hexdigest()


def prepare_config(path: str,
                   args,
                   work_dir: str,
                   seed: int,
                   epochs: int,
                   every_epoch: bool = True,
                   train_size: Optional[int] = None) -> Config:
    """The config of one run: data root, subset sizes, schedule, seed, no checkpoints; the
    test set is scored after every epoch, or only after the last one."""
    cfg = Config.fromfile(path)
    cfg.work_dir = work_dir
    cfg.experiment_name = osp.basename(work_dir)
    cfg.randomness = dict(seed=seed, deterministic=True)
    for loader in (cfg.train_dataloader, cfg.val_dataloader, cfg.test_dataloader):
        loader.dataset.data_root = args.data_root
    cfg.train_dataloader.dataset.indices = train_size or args.train_size
    if args.test_size:
        cfg.val_dataloader.dataset.indices = args.test_size
        cfg.test_dataloader.dataset.indices = args.test_size
    if args.batch_size:
        cfg.train_dataloader.batch_size = args.batch_size
    cfg.train_cfg = dict(
        by_epoch=True, max_epochs=epochs, val_interval=1 if every_epoch else epochs)
    cfg.param_scheduler.T_max = epochs
    cfg.default_hooks.logger = dict(type='LoggerHook', interval=50)
    cfg.default_hooks.checkpoint = dict(type='CheckpointHook', interval=-1, save_last=False)
    cfg.default_hooks.visualization = dict(type='VisualizationHook', enable=False)
    cfg.visualizer = dict(type='UniversalVisualizer', vis_backends=[dict(type='LocalVisBackend')])
    cfg.log_level = 'WARNING'
    return cfg


def train(cfg: Config) -> dict:
    """Train one config in this process; return its curve, times and memory."""
    hook = KDBenchmarkHook()
    runner = Runner.from_cfg(cfg)
    runner.register_hook(hook)
    start = time.perf_counter()
    runner.train()
    wall = time.perf_counter() - start
    params = list(runner.model.parameters())
    trained = sum(p.numel() * p.element_size() for p in params if p.requires_grad)
    frozen = sum(p.numel() * p.element_size() for p in params if not p.requires_grad)
    pairs = getattr(runner.model, 'pairs', {})
    return dict(
        top1=hook.accuracy[-1],
        curve=hook.accuracy,
        step_ms=1000 * statistics.median(hook.step_times) if hook.step_times else None,
        # weights + gradients + AdamW's two moments, frozen weights, tensors saved for backward
        memory_mb=(4 * trained + frozen + (hook.saved_bytes or 0)) / 2**20,
        saved_mb=(hook.saved_bytes or 0) / 2**20,
        cuda_peak_mb=hook.cuda_peak / 2**20 if hook.cuda_peak else None,
        projector_params=sum(p.numel() for pair in pairs.values()
                             for p in pair.projector.parameters()),
        wall_s=wall)


def prepare_teacher(args, data_hash: str) -> dict:
    """Train the teacher unless the same one is cached; make WKD-L's costs; return its record."""
    config = osp.join(CONFIGS, TEACHER_CONFIG)
    probe = prepare_config(
        config, args, '', 0, args.teacher_epochs, train_size=args.teacher_train_size)
    key = hashlib.sha256((probe.pretty_text + data_hash).encode()).hexdigest()[:12]
    teacher_dir = osp.join(args.work_dir, f'teacher-{key}')
    record_path = osp.join(teacher_dir, 'teacher.json')
    if osp.isfile(record_path):
        with open(record_path) as f:
            record = json.load(f)
        print(f'[teacher] cached: {teacher_dir} (top-1 {record["top1"]:.2f})', flush=True)
    else:
        print(
            f'[teacher] training {TEACHER_CONFIG} for {args.teacher_epochs} epochs '
            f'into {teacher_dir}',
            flush=True)
        cfg = prepare_config(
            config, args, teacher_dir, 0, args.teacher_epochs, train_size=args.teacher_train_size)
        cfg.default_hooks.checkpoint = dict(
            type='CheckpointHook', interval=args.teacher_epochs, max_keep_ckpts=1)
        with cpu_lock(args.lock):
            record = train(cfg)
        record['checkpoint'] = osp.join(teacher_dir, f'epoch_{args.teacher_epochs}.pth')
        record['config'] = osp.join(teacher_dir, 'teacher_config.py')
        cfg.dump(record['config'])
        with open(record_path, 'w') as f:
            json.dump(record, f, indent=1)
        print(f'[teacher] top-1 {record["top1"]:.2f} in {record["wall_s"]:.0f} s', flush=True)
    record['cost_matrix'] = osp.join(teacher_dir, 'wkd_cost.pth')
    if 'wkd-l' in args.rows and not osp.isfile(record['cost_matrix']):
        with cpu_lock(args.lock):
            make_cost_matrix(record['config'], record['checkpoint'], record['cost_matrix'],
                             osp.join(teacher_dir, 'wkd_cost'))
    return record


def make_cost_matrix(config: str, checkpoint: str, out: str, work_dir: str) -> None:
    """WKD-L's category costs from the teacher, as tools/wkd_cost_matrix.py makes them: the
    training images through the test transform, in order, into :class:`CategoryCostLoop`."""
    from vkd_mm.utils import load_checkpoint_checked
    print('[teacher] WKD-L costs (CategoryCostLoop over the training images)', flush=True)
    cfg = Config.fromfile(config)
    loader = copy.deepcopy(cfg.train_dataloader)
    loader.dataset.pipeline = copy.deepcopy(cfg.test_dataloader.dataset.pipeline)
    loader.sampler = dict(type='DefaultSampler', shuffle=False)
    cfg.test_dataloader = loader
    cfg.test_cfg = dict(
        type='CategoryCostLoop', out_file=out, num_classes=cfg.model.head.num_classes)
    cfg.test_evaluator = dict(type='Accuracy')
    cfg.work_dir = work_dir
    cfg.experiment_name = 'wkd_cost'
    for key in ('train_dataloader', 'train_cfg', 'optim_wrapper', 'param_scheduler',
                'val_dataloader', 'val_cfg', 'val_evaluator', 'load_from'):
        cfg.pop(key, None)
    runner = Runner.from_cfg(cfg)
    load_checkpoint_checked(runner.model, checkpoint, role='teacher')
    runner.test()


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        with open('/proc/cpuinfo') as f:
            cpu = next(line.split(':', 1)[1].strip() for line in f if line.startswith('model name'))
    except (OSError, StopIteration):
        pass
    text = (f'{cpu}, {os.cpu_count()} logical CPUs, torch {torch.__version__} with '
            f'{torch.get_num_threads()} threads')
    if torch.cuda.is_available():
        text += f', GPU {torch.cuda.get_device_name(0)}'
    if hasattr(os, 'getloadavg'):
        text += ', load average at the end %.2f' % os.getloadavg()[0]
    return text


def git_commit() -> str:
    try:
        commit = subprocess.run(['git', 'rev-parse', '--short', 'HEAD'],
                                cwd=REPO,
                                capture_output=True,
                                text=True,
                                check=True).stdout.strip()
        dirty = subprocess.run(
            ['git', 'status', '--porcelain', '--', 'vkd_mm', 'configs', 'benchmarks', 'tools'],
            cwd=REPO,
            capture_output=True,
            text=True).stdout.strip()
        return commit + (' (with local changes)' if dirty else '')
    except (OSError, subprocess.CalledProcessError):
        return 'unknown'


def mean_std(values: List[float]) -> str:
    if len(values) < 2:
        return f'{values[0]:.2f}'
    return f'{statistics.mean(values):.2f} +- {statistics.stdev(values):.2f}'


def table(results: dict, args, teacher: dict) -> str:
    lines = []
    for student in args.students:
        name = STUDENTS[student][0]
        baseline = STUDENT_ROWS[student][0]
        lines += [
            f'\n{name} <- teacher {TEACHER_NAME} (teacher top-1 {teacher["top1"]:.2f})',
            f'| method | top-1 (%) | vs {ROWS[baseline]} | seeds | ms / step |'
            ' step memory (MB) | projector params |', '|---|---|---|---|---|---|---|'
        ]
        base = [
            r['top1'] for r in results.values() if r['student'] == student and r['row'] == baseline
        ]
        for row in args.rows:
            runs = [r for r in results.values() if r['student'] == student and r['row'] == row]
            if not runs:
                continue
            top1 = [r['top1'] for r in runs]
            delta = (f'{statistics.mean(top1) - statistics.mean(base):+.2f}'
                     if base and row != baseline else '')
            times = [r['step_ms'] for r in runs if r['step_ms'] is not None]
            step = f'{statistics.median(times):.0f}' if times else 'n/a'
            memory = f'{runs[0]["memory_mb"]:.1f}'
            if runs[0].get('cuda_peak_mb'):
                memory += f' (CUDA peak {runs[0]["cuda_peak_mb"]:.0f})'
            lines.append(f'| {ROWS[row]} | {mean_std(top1)} | {delta} | {len(runs)} | {step} |'
                         f' {memory} | {runs[0]["projector_params"]} |')
    return '\n'.join(lines)


def plot(results: dict, args, path: str) -> None:
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    import numpy as np
    from matplotlib.ticker import MaxNLocator
    fig, axes = plt.subplots(
        1, len(args.students), figsize=(6 * len(args.students), 4.2), squeeze=False)
    for ax, student in zip(axes[0], args.students):
        for row in CURVE_ROWS:
            curves = [
                r['curve'] for r in results.values() if r['student'] == student and r['row'] == row
            ]
            if not curves:
                continue
            length = min(len(c) for c in curves)
            values = np.array([c[:length] for c in curves])
            epochs = np.arange(1, length + 1)
            mean = values.mean(0)
            ax.plot(epochs, mean, marker='o', label=ROWS[row])
            if len(curves) > 1:
                std = values.std(0, ddof=1)
                ax.fill_between(epochs, mean - std, mean + std, alpha=0.15)
        ax.set_title(f'{STUDENTS[student][0]} <- {TEACHER_NAME}')
        ax.set_xlabel('epoch')
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_ylabel('test top-1 (%), mean over seeds')
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
    fig.suptitle('Fashion-MNIST: test accuracy during training')
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument(
        '--quick',
        action='store_true',
        help='every row for a few iterations on a few images (a smoke test)')
    parser.add_argument('--seeds', type=int, nargs='+', default=[0, 1, 2])
    parser.add_argument('--students', nargs='+', choices=list(STUDENTS), default=list(STUDENTS))
    parser.add_argument('--rows', nargs='+', choices=list(ROWS), default=list(ROWS))
    parser.add_argument(
        '--train-size', type=int, default=5000, help='the first N training images (default 5000)')
    parser.add_argument(
        '--test-size', type=int, default=None, help='the first N test images (default: all 10,000)')
    parser.add_argument('--batch-size', type=int, default=None, help='default: the configs\'')
    parser.add_argument('--epochs', type=int, default=4, help='every student run')
    parser.add_argument('--teacher-epochs', type=int, default=15)
    parser.add_argument(
        '--teacher-train-size',
        type=int,
        default=None,
        help='the teacher\'s first N training images (default: --train-size)')
    parser.add_argument('--threads', type=int, default=2, help='torch.set_num_threads')
    parser.add_argument('--data-root', default='/usr/share/datasets/fashion-mnist')
    parser.add_argument(
        '--teacher-dtype',
        default=None,
        choices=['fp32', 'bf16', 'fp16'],
        help="the distillers' teacher_dtype (default: the configs', None); "
        'its runs are stored apart from the others')
    parser.add_argument(
        '--report',
        action='store_true',
        help='print the table of the runs already stored; train nothing')
    parser.add_argument(
        '--lock', default=None, help='a file to flock around each training run (a shared machine)')
    parser.add_argument(
        '--work-dir', default=None, help='default: work_dirs/kd_fashion_mnist (--quick: ..._quick)')
    args = parser.parse_args(argv)
    if args.quick:
        for key, value in QUICK.items():
            setattr(args, key, value)
        args.seeds = args.seeds[:1]
    args.teacher_train_size = args.teacher_train_size or args.train_size
    args.work_dir = osp.abspath(
        args.work_dir or osp.join(REPO, 'work_dirs',
                                  'kd_fashion_mnist_quick' if args.quick else 'kd_fashion_mnist'))
    return args


def prepare_data(args) -> str:
    """Check the data files are there (the error names the package); return their hash."""
    from vkd_mm.datasets.fashion_mnist_files import fashion_mnist_files, missing_fashion_mnist_files
    if missing_fashion_mnist_files(args.data_root):
        fashion_mnist_files(args.data_root, 'train')  # raises, naming the files and the package
    return file_hash(
        [p for split in ('train', 'test') for p in fashion_mnist_files(args.data_root, split)])


def store_result(path: str, key: Optional[str] = None, record: Optional[dict] = None) -> dict:
    """The records stored in ``path``, after adding ``record`` under ``key`` when given. The
    file is read and replaced under an flock, so several invocations can share a work dir."""
    with open(path + '.lock', 'a') as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        results = {}
        if osp.isfile(path):
            with open(path) as f:
                results = json.load(f)
        if key is not None:
            results[key] = record
            with open(path + '.tmp', 'w') as f:
                json.dump(results, f, indent=1)
            os.replace(path + '.tmp', path)
        return results


def claim_run(path: str) -> bool:
    """Claim a run for this process: True unless a live process holds ``path`` already (an
    invocation running beside this one trains it)."""
    with open(osp.join(osp.dirname(path), 'claims.lock'), 'a') as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            with open(path) as f:
                owner = int(f.read() or 0)
            if owner != os.getpid():
                os.kill(owner, 0)
                return False
        except (OSError, ValueError):
            pass  # no claim, or its process is gone: take it over
        with open(path, 'w') as f:
            f.write(str(os.getpid()))
        return True


def run_rows(args, teacher: dict, data_hash: str, start: float) -> Dict[str, dict]:
    """Train every (seed, student, row) of ``args`` not stored yet at its settings (train size,
    epochs, batch, teacher); return the records of ``args``' seeds, students and rows, keyed
    'student/row/seed'."""
    settings = dict(
        train_size=args.train_size,
        test_size=args.test_size,
        epochs=args.epochs,
        batch_size=args.batch_size,
        teacher=teacher['checkpoint'],
        data=data_hash)
    if args.teacher_dtype:
        settings['teacher_dtype'] = args.teacher_dtype
    if args.threads != 2:  # the kernels' summation order depends on the thread count
        settings['threads'] = args.threads
    settings_key = hashlib.sha256(json.dumps(settings, sort_keys=True).encode()).hexdigest()[:12]
    results_path = osp.join(args.work_dir, f'results-{settings_key}.json')
    claims = osp.join(args.work_dir, 'runs', settings_key)
    os.makedirs(claims, exist_ok=True)
    store_result(results_path)  # fails early on an unreadable file

    runs = [(seed, student, row) for seed in args.seeds for student in args.students
            for row in args.rows if row in STUDENT_ROWS[student]]
    for index, (seed, student, row) in enumerate(runs):
        key = f'{student}/{row}/{seed}'
        if key in store_result(results_path) or args.report or not claim_run(
                osp.join(claims, f'{student}_{row}_seed{seed}.claim')):
            continue
        cfg = prepare_config(
            row_config(student, row),
            args,
            osp.join(args.work_dir, 'runs', settings_key, f'{student}_{row}_seed{seed}'),
            seed,
            args.epochs,
            every_epoch=row in CURVE_ROWS)
        if cfg.model.type == 'VkDDistiller':
            cfg.model.teacher_ckpt = teacher['checkpoint']
            if args.teacher_dtype:
                cfg.model.teacher_dtype = args.teacher_dtype
            for pair in cfg.model.get('logit_distill', []):
                if 'cost_matrix' in pair.loss:
                    pair.loss.cost_matrix = teacher['cost_matrix']
        elapsed = time.time() - start
        print(f'[{index + 1}/{len(runs)}] {key} (elapsed {elapsed / 60:.1f} min)', flush=True)
        with cpu_lock(args.lock):
            record = train(cfg)
        record.update(student=student, row=row, seed=seed)
        store_result(results_path, key, record)
        print(
            f'    top-1 {record["top1"]:.2f}  {record["step_ms"] or 0:.0f} ms/step  '
            f'{record["wall_s"]:.0f} s',
            flush=True)

    return {
        k: v
        for k, v in store_result(results_path).items()
        if v['seed'] in args.seeds and v['student'] in args.students and v['row'] in args.rows
    }


def main(argv=None):
    args = parse_args(argv)
    command = ' '.join(shlex.quote(a) for a in [sys.executable] + sys.argv)
    torch.set_num_threads(args.threads)
    torch.use_deterministic_algorithms(True, warn_only=True)
    import vkd_mm  # noqa: F401  registers FashionMNISTIdx, the distiller and its parts
    data_hash = prepare_data(args)
    os.makedirs(args.work_dir, exist_ok=True)
    start, commit = time.time(), git_commit()
    teacher = prepare_teacher(args, data_hash)
    results = run_rows(args, teacher, data_hash, start)
    duration = time.time() - start
    text = (f'Fashion-MNIST, top-1 on the first {args.test_size or 10000} test images, students '
            f'trained {args.epochs} epochs on the first {args.train_size} training images '
            f'(batch {args.batch_size or 128}), seeds {args.seeds}; teacher trained '
            f'{args.teacher_epochs} epochs on the first {args.teacher_train_size} images' +
            (f'; the distillers run it with teacher_dtype={args.teacher_dtype!r}'
             if args.teacher_dtype else '') + '.\n'
            'ms / step: median forward + backward + update of a training step; step memory: '
            'weights, gradients and AdamW moments of what trains, frozen teacher weights, and '
            'tensors saved for backward.' + table(results, args, teacher) +
            f'\n\ncommand: {command}\ncommit: {commit} (at the start)\nmachine: {machine()}\n'
            f'duration: {duration / 60:.1f} min (this invocation, {_lock_wait[0] / 60:.1f} min '
            'of it waiting for --lock; cached runs not retrained)\n')
    png = osp.join(args.work_dir, 'fashion_mnist_accuracy.png')
    plot(results, args, png)
    text += f'curves: {png}\n'
    with open(osp.join(args.work_dir, 'table.md'), 'w') as f:
        f.write(text)
    print('\n' + text, flush=True)


if __name__ == '__main__':
    main()
