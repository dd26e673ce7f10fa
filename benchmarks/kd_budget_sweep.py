"""Does the gain of distillation grow, stay or vanish as students converge? A budget sweep.

Runs rows of ``kd_fashion_mnist.py`` (same configs, same teacher, same caching of finished runs)
at several training budgets and plots, against the number of training steps, each method's
top-1 minus its student's baseline (the student alone; for the DeiT-style student, DeiT's
distillation head alone), paired by seed: the line is the mean over seeds of (method - baseline)
at the same seed, the band their standard deviation. One teacher serves every budget. The runs
are stored in kd_fashion_mnist.py's work dir, so the tables of both scripts share them.

A budget is ``IMAGESxEPOCHS``: the first IMAGES training images for EPOCHS epochs (cosine
schedule over the whole budget), e.g. ``5000x4`` (160 steps at batch 128, the small-budget
table) up to ``60000x10`` (4690 steps).

Usage:
    python benchmarks/kd_budget_sweep.py [--budgets 5000x4 60000x1 60000x4 ...]
        [--students resnet vit deit] [--seeds 0 1 2] [--teacher-epochs 20]
        [--teacher-train-size 60000] [kd_fashion_mnist.py's other options]
    python benchmarks/kd_budget_sweep.py --quick   # two tiny budgets, a smoke test
    # the plot and table of stored records (results-*.json of kd_fashion_mnist.py), no training
    python benchmarks/kd_budget_sweep.py --records 60000x8=A.json 60000x16=B.json --work-dir DIR
"""
import argparse
import json
import math
import os
import os.path as osp
import time
from typing import Dict, List, Tuple

import torch

from vkd_mm.experiments import (command_line, files_hash, git_commit, machine, markdown_header,
                                markdown_row, mean_spread, mean_std, project_root)
from vkd_mm.experiments.fashion_mnist import ROWS, STUDENT_ROWS, STUDENTS, data_files, parse_args
from vkd_mm.experiments.fashion_mnist_runs import prepare_teacher, run_rows

# student -> the methods compared with its baseline (STUDENT_ROWS[student][0])
METHODS = {'resnet': ('fitnet', 'vkd'), 'vit': ('fitnet', 'vkd'), 'deit': ('deit-vkd', )}
QUICK_BUDGETS = ('64x1', '128x1')
# (student, method) -> [(training steps, the per-seed gains at that budget), ...]
Sweep = Dict[Tuple[str, str], List[Tuple[int, List[float]]]]


def parse_budget(text: str) -> Tuple[int, int]:
    try:
        images, epochs = (int(part) for part in text.lower().split('x'))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f'a budget is IMAGESxEPOCHS, e.g. 60000x4; got {text!r}') from None
    return images, epochs


def steps(images: int, epochs: int, batch_size: int) -> int:
    return math.ceil(images / batch_size) * epochs


def paired_gains(results: Dict[str, dict], student: str, method: str) -> List[float]:
    """top-1 of ``method`` minus its student's baseline, per seed that has both."""
    baseline = STUDENT_ROWS[student][0]
    by_seed = {
        (r['row'], r['seed']): r['top1']
        for r in results.values() if r['student'] == student
    }
    return [
        by_seed[(method, seed)] - by_seed[(baseline, seed)] for (row, seed) in by_seed
        if row == method and (baseline, seed) in by_seed
    ]


def gain_text(gains: List[float]) -> str:
    return mean_std(gains, signed=True) if gains else 'n/a'


def plot(sweep: Sweep, path: str) -> None:
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    import numpy as np
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for (student, method), points in sweep.items():
        points = [(x, g) for x, g in points if g]
        if not points:
            continue
        x = np.array([p[0] for p in points])
        mean, std = np.array([mean_spread(p[1]) for p in points]).T
        style = '-' if 'vkd' in method else '--'
        line, = ax.plot(x, mean, style, marker='o', label=f'{ROWS[method]}, {STUDENTS[student][0]}')
        ax.fill_between(x, mean - std, mean + std, color=line.get_color(), alpha=0.12)
    ax.axhline(0.0, color='black', linewidth=0.8)
    ax.set_xscale('log')
    budgets = sorted({x for points in sweep.values() for x, gains in points if gains})
    ax.set_xticks(budgets, [f'{x:,}' for x in budgets])
    ax.minorticks_off()
    ax.set_xlabel('training steps (batch 128)')
    ax.set_ylabel('top-1 gain over the baseline (points)')
    ax.set_title('Fashion-MNIST: distillation gain against the training budget')
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def parse_record(text: str) -> Tuple[int, int, str]:
    budget, sep, path = text.partition('=')
    if not sep or not path:
        raise argparse.ArgumentTypeError(
            f'a record is IMAGESxEPOCHS=FILE, e.g. 60000x8=results.json; got {text!r}')
    return (*parse_budget(budget), path)


def sweep_from_records(records: List[Tuple[int, int, str]], students: List[str],
                       batch: int) -> Sweep:
    """The paired gains of ``students`` in the stored records, one file per budget
    (``kd_fashion_mnist.py``'s ``results-*.json``: 'student/row/seed' -> record); a student with
    no record in any file is left out."""
    loaded = []
    for images, epochs, path in records:
        with open(path) as f:
            loaded.append((steps(images, epochs, batch), json.load(f)))
    found = {record['student'] for _, results in loaded for record in results.values()}
    return {
        (student, method): [(x, paired_gains(results, student, method)) for x, results in loaded]
        for student in students if student in found for method in METHODS[student]
    }


def write_sweep(sweep: Sweep, budgets: List[Tuple[int, int]], batch: int, work_dir: str, intro: str,
                footer: str) -> str:
    """Write ``budget_sweep.png`` and ``budget_sweep.md`` (the gains per budget) to
    ``work_dir``; return the markdown text."""
    lines = [
        markdown_header(['student', 'method'] +
                        [f'{steps(i, e, batch)} steps ({i}x{e})' for i, e in budgets])
    ]
    for (student, method), points in sweep.items():
        lines.append(
            markdown_row([STUDENTS[student][0], ROWS[method]] +
                         [gain_text(gains) for _, gains in points]))
    os.makedirs(work_dir, exist_ok=True)
    png = osp.join(work_dir, 'budget_sweep.png')
    plot(sweep, png)
    text = intro + '\n' + '\n'.join(lines) + f'\n\n{footer}plot: {png}\n'
    with open(osp.join(work_dir, 'budget_sweep.md'), 'w') as f:
        f.write(text)
    return text


def parse_sweep_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument(
        '--budgets',
        type=parse_budget,
        nargs='+',
        default=[parse_budget(b) for b in ('5000x4', '60000x1', '60000x2', '60000x4', '60000x8')])
    parser.add_argument('--quick', action='store_true', help='two tiny budgets, one seed')
    parser.add_argument(
        '--records',
        type=parse_record,
        nargs='+',
        help='IMAGESxEPOCHS=FILE per budget: plot these stored records instead of running')
    args, rest = parser.parse_known_args(argv)
    if args.quick:
        args.budgets = [parse_budget(b) for b in QUICK_BUDGETS]
    return args, rest


def main(argv=None):
    args, rest = parse_sweep_args(argv)
    command = command_line()
    base = parse_args(rest + (['--quick'] if args.quick else []), __doc__.split('\n')[0])
    batch = base.batch_size or 128
    if args.records:
        sweep = sweep_from_records(args.records, base.students, batch)
        text = write_sweep(
            sweep, [(i, e) for i, e, _ in args.records], batch, base.work_dir,
            'Top-1 gain over the baseline, mean +- std over the seeds of the paired difference, '
            'from stored records:\n' + ''.join(f'- {i}x{e}: {path}\n'
                                               for i, e, path in args.records),
            f'command: {command}\n')
        print('\n' + text, flush=True)
        return
    if not args.quick and base.teacher_train_size == base.train_size:
        base.teacher_train_size = max(images for images, _ in args.budgets)
    torch.set_num_threads(base.threads)
    torch.use_deterministic_algorithms(True, warn_only=True)
    import vkd_mm  # noqa: F401  registers FashionMNISTIdx, the distiller and its parts
    data = data_files(base)
    data_hash = files_hash(data)
    start, commit = time.time(), git_commit(project_root())
    teacher = prepare_teacher(base, data)
    sweep: Sweep = {
        (student, method): []
        for student in base.students
        for method in METHODS[student]
    }
    # every budget runs the same rows: each student's baseline and the methods compared with it
    base.rows = sorted({method
                        for _, method in sweep}
                       | {STUDENT_ROWS[student][0]
                          for student in base.students})
    for images, epochs in args.budgets:
        base.train_size, base.epochs = images, epochs
        print(f'[budget] {images} images x {epochs} epochs', flush=True)
        results = run_rows(base, teacher, data_hash, start)
        for (student, method), points in sweep.items():
            points.append((steps(images, epochs, batch), paired_gains(results, student, method)))
    text = write_sweep(
        sweep, args.budgets, batch, base.work_dir,
        f'Top-1 gain over the baseline, mean +- std over seeds {base.seeds} of the paired '
        f'difference; teacher top-1 {teacher["top1"]:.2f} ({base.teacher_epochs} epochs on '
        f'{base.teacher_train_size} images)',
        f'command: {command}\ncommit: {commit} (at the start)\nmachine: {machine()}\n'
        f'duration: {(time.time() - start) / 60:.1f} min (cached runs not retrained)\n')
    print('\n' + text, flush=True)


if __name__ == '__main__':
    main()
