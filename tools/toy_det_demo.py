"""The ViDT + V_kD detection story on toy data, on CPU: a small but sound experiment.

1. Generate the toy detection set (tools/make_toy_data.py --task det): drawn shapes by default,
   or real Fashion-MNIST items composed into scenes with ``--source fashion-mnist``.
2. Train the teacher (tools/dist_train.sh, 2 processes): a ViDT Swin-nano with a long schedule
   by default, or the larger ViDT Swin-tiny with ``--teacher swin-tiny``.
3. With ``--budget-curve E1 E2 ...``, train the ViDT Swin-nano student alone for each of those
   budgets and print its bbox mAP against the budget (and a PNG): the curve to choose
   ``--epochs`` from, a budget at which the student alone has stopped improving.
4. For every seed and row (student alone, ``token-matching``: ViDT's own distillation, ``vkd``),
   train the Swin-nano student for ``--epochs`` (tools/dist_train.sh, 2 processes, gloo on CPU),
   with identical data, batch and iterations; export the distilled students
   (tools/export_student.py) and evaluate every model with tools/test.py through the stock ViDT
   config (mmdet's CocoMetric, bbox mAP).
5. Print the table (per seed, mean and spread), and write two PNGs: the students' predictions
   side by side on the same validation images, and the training curves (detection losses and
   every ``loss_vkd_*``).

The teacher and every trained run are cached under ``<work-dir>/teachers/<key>`` and
``<work-dir>/runs/<key>``, the key hashing the resolved config (options included), the data
files, the vkd_mm code, the process count and the numerics environment (docs/experiments.md):
a second call reuses them, and an interrupted call resumes at the first run not finished.

Every child process runs with one thread, each run seeded with ``randomness.deterministic=True``,
and the CPU kernels chosen by ``--numerics``: ``avx2`` (default) pins MKL, ATen and oneDNN to AVX2
code paths, and the figures repeat on every run of one machine kind; ``portable`` uses MKL's
vendor-independent code path and switches oneDNN off (about 1.8x slower), for figures meant to
repeat across x86 processors with AVX2. docs/demo.md says what was checked where.
``--check-numerics`` trains nothing: it traces the teacher's first training iteration (one
process, the global batch) as a digest (tools/analysis/numerics_trace.py) and compares it with the
digests kept under docs/results/numerics from other machines: bitwise equal, or the first tensor
that differs.

Usage: python tools/toy_det_demo.py [--seeds 0 1] [--epochs 4] [--teacher-epochs 12]
                                    [--teacher swin-nano|swin-tiny]
                                    [--rows student token-matching vkd]
                                    [--budget-curve 4 8 16] [--numerics avx2|portable]
                                    [--check-numerics [--numerics-records DIR]] [--quick]
                                    [--source shapes|fashion-mnist] [--work-dir ...]
"""
import argparse
import glob
import json
import os
import os.path as osp
import sys

from vkd_mm.experiments import (Launcher, Progress, TeacherCache, command_line, git_commit, machine,
                                markdown_header, markdown_row, mean_spread, project_root,
                                resolved_config_text, teacher_key)
from vkd_mm.experiments.det_figures import plot_budget_curve, plot_predictions, plot_training_curves
from vkd_mm.utils import PORTABLE_CPU_NUMERICS

REPO = project_root()
CONFIGS = osp.join(REPO, 'configs/toy')
NUMERICS_RECORDS = osp.join(REPO, 'docs/results/numerics')
VIDT = osp.join(CONFIGS, 'vidt_swin-nano_toy-coco.py')
# --teacher -> (name in the table, teacher config, config suffix of its distillation configs)
TEACHERS = {
    'swin-nano': ('ViDT Swin-nano', VIDT, ''),
    'swin-tiny': ('ViDT Swin-tiny', osp.join(CONFIGS, 'vidt_swin-tiny_toy-coco.py'), '_swin-tiny'),
}
# --rows -> name in the table; 'student' is the Swin-nano student alone
ROWS = {
    'student': 'student alone (ViDT Swin-nano)',
    'token-matching': 'student + token matching (ViDT)',
    'vkd': 'student + V_kD',
}
GLOBAL_BATCH = 4
PROCESSES = 2
QUICK = dict(train_images=4, val_images=4, epochs=1, teacher_epochs=1, seeds=[0])
# --numerics -> the environment of every child process. 'avx2': one thread per process and
# AVX2 code paths in MKL, ATen and oneDNN, so the rounding does not depend on the vector width
# or core count, but MKL and oneDNN still choose kernels by vendor and cache sizes: figures
# repeat on one machine kind. 'portable': MKL's vendor-independent code path and oneDNN off
# (vkd_mm.utils.numerics), about 1.8x slower: no kernel choice left to the processor beyond
# AVX2, for figures meant to repeat across x86 processors (docs/demo.md says what was checked).
NUMERICS = {
    'avx2':
    dict(
        OMP_NUM_THREADS='1',
        MKL_NUM_THREADS='1',
        MKL_CBWR='AVX2',
        ATEN_CPU_CAPABILITY='avx2',
        ONEDNN_MAX_CPU_ISA='AVX2',
        PYTHONHASHSEED='0'),
    'portable':
    PORTABLE_CPU_NUMERICS,
}


def row_config(row: str, teacher: str) -> str:
    """The config that trains ``row``'s Swin-nano student with the ``teacher``."""
    if row == 'student':
        return VIDT
    return osp.join(CONFIGS, f'{row}_vidt_swin-nano{TEACHERS[teacher][2]}_toy-coco.py')


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
        f'Students: {args.epochs} epochs, seeds {seeds}; teacher: {args.teacher_epochs} epochs, '
        f'seed 0; every run on {PROCESSES} processes.',
        markdown_header(['model', *(f'seed {s}' for s in args.seeds), 'mean', 'std'])
    ]
    for name, values in results:
        cells = [f'{v:.3f}' for v in values] + [''] * (len(args.seeds) - len(values))
        lines.append(markdown_row([name, *cells, *(f'{v:.3f}' for v in mean_spread(values))]))
    return '\n'.join(lines)


def budget_table(results, args) -> str:
    """The student alone's bbox mAP per budget: a column per seed, then mean and std."""
    lines = [
        f'\nBudget curve: ViDT Swin-nano alone on toy detection ({args.source}), '
        f'{args.train_images} train / {args.val_images} val images, COCO bbox mAP.',
        markdown_header(['epochs', 'iterations', *(f'seed {s}' for s in args.seeds), 'mean', 'std'])
    ]
    for epochs in sorted(results):
        values = results[epochs]
        iterations = epochs * -(-args.train_images // GLOBAL_BATCH)
        lines.append(
            markdown_row([
                str(epochs),
                str(iterations), *(f'{v:.3f}' for v in values),
                *(f'{v:.3f}' for v in mean_spread(values))
            ]))
    return '\n'.join(lines)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='ViDT + V_kD on toy detection data, end to end')
    parser.add_argument(
        '--seeds',
        type=int,
        nargs='+',
        default=[0, 1],
        help='student seeds (every row of a seed starts alike)')
    parser.add_argument('--epochs', type=int, default=4, help='student budget (every run)')
    parser.add_argument('--teacher-epochs', type=int, default=12)
    parser.add_argument('--teacher', choices=list(TEACHERS), default='swin-nano')
    parser.add_argument(
        '--rows', nargs='+', choices=list(ROWS), default=['student', 'vkd'], help='students')
    parser.add_argument(
        '--budget-curve',
        type=int,
        nargs='+',
        default=[],
        metavar='EPOCHS',
        help='also train the student alone for each of these budgets, every seed')
    parser.add_argument(
        '--numerics',
        choices=list(NUMERICS),
        default='avx2',
        help='avx2: figures repeat on one machine kind; portable: no processor-chosen '
        'kernels beyond AVX2 (about 1.8x slower); see docs/demo.md')
    parser.add_argument(
        '--check-numerics',
        action='store_true',
        help="train nothing: compare the teacher's first iteration here with the digests of "
        'other machines (--numerics-records)')
    parser.add_argument(
        '--numerics-records',
        default=NUMERICS_RECORDS,
        help='the digests --check-numerics compares with (default: docs/results/numerics)')
    parser.add_argument('--train-images', type=int, default=200)
    parser.add_argument('--val-images', type=int, default=200)
    parser.add_argument(
        '--source',
        choices=['shapes', 'fashion-mnist'],
        default='shapes',
        help='drawn shapes (no data needed) or real Fashion-MNIST items')
    parser.add_argument(
        '--quick',
        action='store_true',
        help='every stage on 4 images for 1 epoch, seed 0 (a smoke test)')
    parser.add_argument(
        '--work-dir', default=None, help='default: work_dirs/toy_det_demo (--quick: ..._quick)')
    args = parser.parse_args(argv)
    if args.quick:
        for key, value in QUICK.items():
            setattr(args, key, value)
        args.budget_curve = args.budget_curve[:1]
    args.work_dir = osp.abspath(
        args.work_dir
        or osp.join('work_dirs', 'toy_det_demo_quick' if args.quick else 'toy_det_demo'))
    return args


class DetectionDemo:
    """The demo's stages, sharing the launcher, the data options and the caches.

    Args:
        args: the parsed command line (:func:`parse_args`).
    """

    def __init__(self, args) -> None:
        self.args = args
        self.work = args.work_dir
        os.makedirs(self.work, exist_ok=True)
        runs = len(args.rows) * len(args.seeds) + len(args.budget_curve) * len(args.seeds)
        self.stages = Progress(total=2 if args.check_numerics else runs + 3)
        self.numerics = NUMERICS[args.numerics]
        self.launcher = Launcher(REPO, env=self.numerics, report_every=20.0)
        self.runs = TeacherCache(osp.join(self.work, 'runs'))
        self.data_root = osp.join(self.work, 'data', args.source)
        self.data = []

    def make_data(self) -> None:
        """Generate the data set; set the options that point the configs at it."""
        args, root = self.args, self.data_root
        self.stages.step(f'data: {args.train_images} train / {args.val_images} val images '
                         f'({args.source})')
        source = [] if args.source == 'shapes' else ['--source', args.source]
        self.launcher.run([
            sys.executable, 'tools/make_toy_data.py', '--task', 'det', *source, '--root', root,
            '--train',
            str(args.train_images), '--val',
            str(args.val_images)
        ], osp.join(self.work, 'data.log'))
        self.data = [
            f'train_dataloader.dataset.data_root={root}/',
            f'val_dataloader.dataset.data_root={root}/',
            f'test_dataloader.dataset.data_root={root}/',
            f'val_evaluator.ann_file={root}/annotations/instances_val.json',
            f'test_evaluator.ann_file={root}/annotations/instances_val.json'
        ]
        if args.source != 'shapes':
            # the configs name the shapes' classes; another source brings its own (as many)
            with open(osp.join(root, 'annotations/instances_train.json')) as ann:
                classes = ','.join(cat['name'] for cat in json.load(ann)['categories'])
            self.data += [
                f'{split}_dataloader.dataset.metainfo.classes=[{classes}]'
                for split in ('train', 'val', 'test')
            ]

    def _key(self, config: str, options) -> str:
        """The cache key of a run of ``config`` with ``options`` on :data:`PROCESSES` processes."""
        return teacher_key(
            resolved_config_text(config, options), [self.data_root],
            dict(self.numerics, processes=str(PROCESSES)))

    def teacher(self) -> dict:
        """The trained teacher (cached), evaluated: its record with ``bbox_mAP``."""
        args = self.args
        name, config, _ = TEACHERS[args.teacher]
        options = train_options(args.teacher_epochs, 0, PROCESSES, self.data)
        cache = TeacherCache(osp.join(self.work, 'teachers'))
        key = self._key(config, options)
        if cache.get(key):
            self.stages.step(f'teacher: cached, {cache.directory(key)}')
        else:
            self.stages.step(
                f'teacher: {name}, {args.teacher_epochs} epochs, {PROCESSES} processes')

        def train_teacher(directory):
            self.launcher.train(config, directory, options, PROCESSES)
            checkpoint = osp.join(directory, f'epoch_{args.teacher_epochs}.pth')
            return dict(
                checkpoint=checkpoint,
                bbox_mAP=test(self.launcher, config, checkpoint, directory, self.data))

        return cache.fetch(key, train_teacher)

    def student(self, row: str, seed: int, epochs: int, teacher: dict) -> dict:
        """Train ``row``'s student (cached), export and evaluate it: its record with
        ``bbox_mAP``, ``predictions`` and ``scalars`` (the training log's scalars.json)."""
        args = self.args
        config = row_config(row, args.teacher)
        extra = () if row == 'student' else (f'model.teacher_ckpt={teacher["checkpoint"]}', )
        options = train_options(epochs, seed, PROCESSES, (*self.data, *extra))
        key = self._key(config, options)
        state = 'cached' if self.runs.get(key) else f'{PROCESSES} processes'
        self.stages.step(f'{ROWS[row]}, seed {seed}: {epochs} epochs, {state}')

        def train_student(directory):
            self.launcher.train(config, directory, options, PROCESSES)
            checkpoint = osp.join(directory, f'epoch_{epochs}.pth')
            if row != 'student':
                checkpoint = self.launcher.export_student(checkpoint,
                                                          osp.join(directory, 'student.pth'))
            predictions = osp.join(directory, 'predictions.pkl')
            return dict(
                checkpoint=checkpoint,
                bbox_mAP=test(self.launcher, VIDT, checkpoint, directory, self.data, predictions),
                predictions=predictions,
                scalars=sorted(glob.glob(osp.join(directory, '*', 'vis_data', 'scalars.json')))[-1])

        return self.runs.fetch(key, train_student)

    def figures(self, records: dict) -> None:
        """The first seed's predictions and training curves, student alone against V_kD."""
        seed = self.args.seeds[0]
        student, vkd = records['student', seed], records['vkd', seed]
        plot_predictions(
            student['predictions'],
            vkd['predictions'],
            osp.join(self.data_root, 'annotations/instances_val.json'),
            osp.join(self.work, 'predictions.png'),
            seed=seed)
        plot_training_curves(
            dict(student=student['scalars'], vkd=vkd['scalars']),
            osp.join(self.work, 'training_curves.png'),
            seed=seed)
        print(f'wrote {osp.join(self.work, "predictions.png")} and '
              f'{osp.join(self.work, "training_curves.png")}')

    def check_numerics(self) -> None:
        """Trace the teacher's first training iteration on one process (the global batch, seed
        0, this ``--numerics``) into a digest and compare it with every digest of the same
        settings under ``--numerics-records``, named
        ``vidt_<teacher>_<source>-<train images>_<teacher epochs>e_<numerics>_<machine>.json``:
        bitwise equal means this machine computes what that machine computed."""
        args = self.args
        _, config, _ = TEACHERS[args.teacher]
        stem = (f'vidt_{args.teacher}_{args.source}-{args.train_images}_'
                f'{args.teacher_epochs}e_{args.numerics}')
        self.stages.step(f'numerics: first iteration of the teacher, 1 process, {stem}')
        digest = osp.join(self.work, 'numerics', f'{stem}_this-machine.json')
        self.launcher.run([
            sys.executable, 'tools/analysis/numerics_trace.py', 'record', config, digest,
            '--cfg-options', *train_options(args.teacher_epochs, 0, 1, self.data)
        ], osp.join(self.work, 'numerics', 'record.log'))
        records = sorted(glob.glob(osp.join(args.numerics_records, f'{stem}_*.json')))
        if not records:
            print(f'no digest {stem}_*.json in {args.numerics_records} to compare with')
        for record in records:
            text = self.launcher.run(
                [sys.executable, 'tools/analysis/numerics_trace.py', 'compare', record, digest],
                osp.join(self.work, 'numerics', 'compare.log'))
            lines = text.splitlines()
            verdict = next((line for line in lines
                            if line.startswith(('bitwise equal', 'first difference', 'only in'))),
                           lines[-1])
            print(f'{osp.basename(record)}: {verdict}')
        print(f'this machine: {machine()}\nwrote {digest}')

    def run(self) -> None:
        args = self.args
        self.make_data()
        if args.check_numerics:
            self.check_numerics()
            return
        teacher = self.teacher()
        if args.budget_curve:
            curve = {
                epochs:
                [self.student('student', s, epochs, teacher)['bbox_mAP'] for s in args.seeds]
                for epochs in args.budget_curve
            }
            print(budget_table(curve, args))
            out = osp.join(self.work, 'budget_curve.png')
            plot_budget_curve(
                curve,
                out,
                f'ViDT Swin-nano alone, toy detection ({args.source}), seeds {args.seeds}',
                teacher=(f'teacher {TEACHERS[args.teacher][0]}, {args.teacher_epochs} epochs',
                         teacher['bbox_mAP']))
            print(f'wrote {out}')
        records = {
            (row, s): self.student(row, s, args.epochs, teacher)
            for s in args.seeds
            for row in args.rows
        }
        self.stages.step('table')
        teacher_name = f'teacher ({TEACHERS[args.teacher][0]}, {args.teacher_epochs} epochs)'
        print(
            table([(teacher_name, [teacher['bbox_mAP']])] +
                  [(ROWS[row], [records[row, s]['bbox_mAP'] for s in args.seeds])
                   for row in args.rows], args))
        print(f'command: {command_line()}\ncommit: {git_commit(REPO)}\nmachine: {machine()}')
        if 'student' in args.rows and 'vkd' in args.rows:
            self.figures(records)


def main(argv=None):
    DetectionDemo(parse_args(argv)).run()


if __name__ == '__main__':
    main()
