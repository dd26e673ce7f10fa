"""The ViDT + V_kD detection story on toy data, on CPU: a small but sound experiment.

1. Generate the toy detection set (tools/make_toy_data.py --task det): drawn shapes by default,
   or real Fashion-MNIST items composed into scenes with ``--source fashion-mnist``.
2. Train the teacher, a ViDT Swin-nano with a long schedule (tools/train.py). It is cached under
   ``<work-dir>/teachers/<key>``, the key hashing its resolved config, the data files, the
   vkd_mm code and the numerics environment (docs/experiments.md), so a second run reuses it.
3. For every seed, train the ViDT Swin-nano student alone and distil the same student with V_kD
   (tools/dist_train.sh, 2 processes, gloo on CPU), with identical data, batch and iterations.
4. Export every distilled student (tools/export_student.py) and evaluate every model with
   tools/test.py through the stock ViDT config (mmdet's CocoMetric, bbox mAP).
5. Print the table (per seed, mean and spread), and write two PNGs: the students' predictions
   side by side on the same validation images, and the training curves (detection losses and
   every ``loss_vkd_*``).

Every child process runs with one thread and with the CPU kernels pinned to AVX2 code paths
(MKL's conditional numerical reproducibility, ATen's and oneDNN's ISA caps), and each run is
seeded with ``randomness.deterministic=True``: the figures are the same on every run of this
machine kind; see the README for what is and is not guaranteed across machines.

Usage: python tools/toy_det_demo.py [--seeds 0 1] [--epochs 4] [--teacher-epochs 12]
                                    [--source shapes|fashion-mnist] [--work-dir ...]
"""
import argparse
import glob
import json
import os
import os.path as osp
import sys

from vkd_mm.experiments import (Launcher, Progress, TeacherCache, markdown_header, markdown_row,
                                mean_spread, project_root, resolved_config_text, teacher_key)
from vkd_mm.experiments.det_figures import plot_predictions, plot_training_curves

REPO = project_root()
CONFIGS = osp.join(REPO, 'configs/toy')
VIDT = osp.join(CONFIGS, 'vidt_swin-nano_toy-coco.py')
VKD = osp.join(CONFIGS, 'vkd_vidt_swin-nano_toy-coco.py')
GLOBAL_BATCH = 4
PROCESSES = 2
# One thread per process and AVX2 code paths in MKL, ATen and oneDNN: the kernels, and so the
# rounding, do not depend on the processor's vector width or core count.
PORTABLE_NUMERICS = dict(
    OMP_NUM_THREADS='1',
    MKL_NUM_THREADS='1',
    MKL_CBWR='AVX2',
    ATEN_CPU_CAPABILITY='avx2',
    ONEDNN_MAX_CPU_ISA='AVX2',
    PYTHONHASHSEED='0')


def train_options(epochs: int, seed: int, processes: int, extra=()):
    """A cosine schedule of ``epochs`` at the same global batch for any process count, seeded
    and deterministic, no in-training validation."""
    return [
        f'train_cfg.max_epochs={epochs}', f'train_cfg.val_begin={epochs + 1}',
        f'param_scheduler.0.T_max={epochs}', f'param_scheduler.0.end={epochs}',
        f'train_dataloader.batch_size={GLOBAL_BATCH // processes}', f'randomness.seed={seed}',
        'randomness.deterministic=True', *extra
    ]


def test(launcher, config, checkpoint, work_dir, options, predictions=None):
    return launcher.test(config, checkpoint, work_dir, options, predictions)['coco/bbox_mAP']


def table(results, args) -> str:
    """The bbox mAP table: a column per seed, then mean and std (a single value fills the first
    seed's column)."""
    seeds = ', '.join(str(s) for s in args.seeds)
    lines = [
        f'\nToy detection ({args.source}), {args.val_images} val images, COCO bbox mAP. '
        f'Students: {args.epochs} epochs, seeds {seeds}, 2 processes; teacher: '
        f'{args.teacher_epochs} epochs, seed 0.',
        markdown_header(['model', *(f'seed {s}' for s in args.seeds), 'mean', 'std'])
    ]
    for name, values in results:
        cells = [f'{v:.3f}' for v in values] + [''] * (len(args.seeds) - len(values))
        lines.append(markdown_row([name, *cells, *(f'{v:.3f}' for v in mean_spread(values))]))
    return '\n'.join(lines)


def main():
    parser = argparse.ArgumentParser(description='ViDT + V_kD on toy detection data, end to end')
    parser.add_argument(
        '--seeds',
        type=int,
        nargs='+',
        default=[0, 1],
        help='student seeds (both runs of each seed start alike)')
    parser.add_argument('--epochs', type=int, default=4, help='student budget (every run)')
    parser.add_argument('--teacher-epochs', type=int, default=12)
    parser.add_argument('--train-images', type=int, default=200)
    parser.add_argument('--val-images', type=int, default=200)
    parser.add_argument(
        '--source',
        choices=['shapes', 'fashion-mnist'],
        default='shapes',
        help='drawn shapes (no data needed) or real Fashion-MNIST items')
    parser.add_argument('--work-dir', default='work_dirs/toy_det_demo')
    args = parser.parse_args()
    work = osp.abspath(args.work_dir)
    os.makedirs(work, exist_ok=True)
    stages = Progress(total=2 + 4 * len(args.seeds) + 2)
    launcher = Launcher(REPO, env=PORTABLE_NUMERICS, report_every=20.0)

    stages.step(f'data: {args.train_images} train / {args.val_images} val images '
                f'({args.source})')
    data_root = osp.join(work, 'data', args.source)
    source = [] if args.source == 'shapes' else ['--source', args.source]
    launcher.run([
        sys.executable, 'tools/make_toy_data.py', '--task', 'det', *source, '--root', data_root,
        '--train',
        str(args.train_images), '--val',
        str(args.val_images)
    ], osp.join(work, 'data.log'))
    data = [
        f'train_dataloader.dataset.data_root={data_root}/',
        f'val_dataloader.dataset.data_root={data_root}/',
        f'test_dataloader.dataset.data_root={data_root}/',
        f'val_evaluator.ann_file={data_root}/annotations/instances_val.json',
        f'test_evaluator.ann_file={data_root}/annotations/instances_val.json'
    ]
    if args.source != 'shapes':
        # the configs name the shapes' classes; another source brings its own (as many)
        with open(osp.join(data_root, 'annotations/instances_train.json')) as ann:
            classes = ','.join(cat['name'] for cat in json.load(ann)['categories'])
        data += [
            f'{split}_dataloader.dataset.metainfo.classes=[{classes}]'
            for split in ('train', 'val', 'test')
        ]

    teacher_options = train_options(args.teacher_epochs, 0, 1, data)
    cache = TeacherCache(osp.join(work, 'teachers'))
    key = teacher_key(resolved_config_text(VIDT, teacher_options), [data_root], PORTABLE_NUMERICS)
    if cache.get(key):
        stages.step(f'teacher: cached, {cache.directory(key)}')
    else:
        stages.step(f'teacher: ViDT Swin-nano, {args.teacher_epochs} epochs, 1 process')

    def train_teacher(directory):
        launcher.train(VIDT, directory, teacher_options)
        return dict(checkpoint=osp.join(directory, f'epoch_{args.teacher_epochs}.pth'))

    teacher_ckpt = cache.fetch(key, train_teacher)['checkpoint']
    teacher_dir = cache.directory(key)

    runs = {}
    for seed in args.seeds:
        for kind, config, extra in (('student', VIDT, ()),
                                    ('vkd', VKD, (f'model.teacher_ckpt={teacher_ckpt}', ))):
            title = 'student alone' if kind == 'student' else 'student + V_kD'
            stages.step(f'{title}, seed {seed}: {args.epochs} epochs, {PROCESSES} processes')
            run_dir = osp.join(work, f'{kind}_seed{seed}')
            launcher.train(config, run_dir,
                           train_options(args.epochs, seed, PROCESSES, (*data, *extra)), PROCESSES)
            runs[kind, seed] = run_dir

    evaluated = {}
    for (kind, seed), run_dir in runs.items():
        stages.step(f'evaluate {kind}, seed {seed} (tools/test.py, CocoMetric)')
        checkpoint = osp.join(run_dir, f'epoch_{args.epochs}.pth')
        if kind == 'vkd':
            checkpoint = launcher.export_student(checkpoint, osp.join(run_dir, 'student.pth'))
        predictions = osp.join(run_dir, 'predictions.pkl')
        evaluated[kind, seed] = test(launcher, VIDT, checkpoint, run_dir, data, predictions)
    stages.step('evaluate the teacher')
    teacher_map = test(launcher, VIDT, teacher_ckpt, teacher_dir, data)

    results = [
        (f'teacher (ViDT Swin-nano, {args.teacher_epochs} epochs)', [teacher_map]),
        ('student alone (ViDT Swin-nano)', [evaluated['student', s] for s in args.seeds]),
        ('student + V_kD', [evaluated['vkd', s] for s in args.seeds]),
    ]
    print(table(results, args))
    stages.step('figures')
    seed = args.seeds[0]
    plot_predictions(
        osp.join(runs['student', seed], 'predictions.pkl'),
        osp.join(runs['vkd', seed], 'predictions.pkl'),
        osp.join(data_root, 'annotations/instances_val.json'),
        osp.join(work, 'predictions.png'),
        seed=seed)
    plot_training_curves(
        {
            kind: sorted(glob.glob(osp.join(runs[kind, seed], '*', 'vis_data', 'scalars.json')))[-1]
            for kind in ('student', 'vkd')
        },
        osp.join(work, 'training_curves.png'),
        seed=seed)
    print(f'wrote {osp.join(work, "predictions.png")} and '
          f'{osp.join(work, "training_curves.png")}')


if __name__ == '__main__':
    main()
