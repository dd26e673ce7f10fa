"""Distillation methods compared on real data: Fashion-MNIST, CNN -> CNN and ViT <- CNN.

What it runs (configs/fashion_mnist/, see its README.md):

1. The teacher, a ResNet-18 of width 8, trained once on the training subset and cached in the
   work dir under a hash of its config, the data files and the vkd_mm sources (a second run
   reuses it; docs/experiments.md).
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
the machine beside them. Each finished run is stored in ``results-<settings>.json``; a rerun
with the same settings skips what is there. The shared parts live in
:mod:`vkd_mm.experiments.fashion_mnist` and :mod:`vkd_mm.experiments.fashion_mnist_runs`.

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
import os
import os.path as osp
import statistics
import time

os.environ.setdefault('CUBLAS_WORKSPACE_CONFIG', ':4096:8')  # deterministic cuBLAS on a GPU

import torch

from vkd_mm.experiments import (command_line, files_hash, git_commit, machine, markdown_header,
                                markdown_row, mean_std, project_root)
from vkd_mm.experiments.fashion_mnist import (CURVE_ROWS, ROWS, STUDENT_ROWS, STUDENTS,
                                              TEACHER_NAME, data_files, parse_args)
from vkd_mm.experiments.fashion_mnist_runs import prepare_teacher, run_rows


def table(results: dict, args, teacher: dict) -> str:
    lines = []
    for student in args.students:
        name = STUDENTS[student][0]
        baseline = STUDENT_ROWS[student][0]
        lines += [
            f'\n{name} <- teacher {TEACHER_NAME} (teacher top-1 {teacher["top1"]:.2f})',
            markdown_header([
                'method', 'top-1 (%)', f'vs {ROWS[baseline]}', 'seeds', 'ms / step',
                'step memory (MB)', 'projector params'
            ])
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
            lines.append(
                markdown_row([
                    ROWS[row],
                    mean_std(top1), delta,
                    len(runs), step, memory, runs[0]['projector_params']
                ]))
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


def main(argv=None):
    args = parse_args(argv, __doc__.split('\n')[0])
    command = command_line()
    torch.set_num_threads(args.threads)
    torch.use_deterministic_algorithms(True, warn_only=True)
    import vkd_mm  # noqa: F401  registers FashionMNISTIdx, the distiller and its parts
    data = data_files(args)
    os.makedirs(args.work_dir, exist_ok=True)
    start, commit = time.time(), git_commit(project_root())
    teacher = prepare_teacher(args, data)
    results = run_rows(args, teacher, files_hash(data), start)
    duration = time.time() - start
    text = (
        f'Fashion-MNIST, top-1 on the first {args.test_size or 10000} test images, students '
        f'trained {args.epochs} epochs on the first {args.train_size} training images '
        f'(batch {args.batch_size or 128}), seeds {args.seeds}; teacher trained '
        f'{args.teacher_epochs} epochs on the first {args.teacher_train_size} images' +
        (f'; the distillers run it with teacher_dtype={args.teacher_dtype!r}'
         if args.teacher_dtype else '') + '.\n'
        'ms / step: median forward + backward + update of a training step; step memory: '
        'weights, gradients and AdamW moments of what trains, frozen teacher weights, and '
        'tensors saved for backward.' + table(results, args, teacher) +
        f'\n\ncommand: {command}\ncommit: {commit} (at the start)\nmachine: {machine()}\n'
        f'duration: {duration / 60:.1f} min (this invocation, {args.cpu_lock.waited / 60:.1f} min '
        'of it waiting for --lock; cached runs not retrained)\n')
    png = osp.join(args.work_dir, 'fashion_mnist_accuracy.png')
    plot(results, args, png)
    text += f'curves: {png}\n'
    with open(osp.join(args.work_dir, 'table.md'), 'w') as f:
        f.write(text)
    print('\n' + text, flush=True)


if __name__ == '__main__':
    main()
