"""The ViDT + V_kD detection story on toy data, on CPU: a small but sound experiment.

1. Generate the toy detection set (tools/make_toy_data.py --task det): drawn shapes by default,
   or real Fashion-MNIST items composed into scenes with ``--source fashion-mnist``.
2. Train the teacher, a ViDT Swin-nano with a long schedule (tools/train.py). It is cached under
   ``<work-dir>/teachers/<key>``, the key hashing its config, options and training data, so a
   second run reuses it.
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
import hashlib
import json
import os
import os.path as osp
import re
import socket
import statistics
import subprocess
import sys
import time

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
CONFIGS = osp.join(REPO, 'configs/toy')
VIDT = osp.join(CONFIGS, 'vidt_swin-nano_toy-coco.py')
VKD = osp.join(CONFIGS, 'vkd_vidt_swin-nano_toy-coco.py')
BBOX_MAP = re.compile(r'coco/bbox_mAP: ([0-9.]+)')
TRAIN_PROGRESS = re.compile(r'Epoch\(train\)\s+\[(\d+)\]\[\s*(\d+)/(\d+)\].*?eta: (\S+)')
TEST_PROGRESS = re.compile(r'Epoch\(test\)\s+\[\s*(\d+)/(\d+)\]')
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


class Stages:
    """Numbered stage headers and a progress line (epoch, iteration, ETA) while a child runs."""

    def __init__(self, total: int) -> None:
        self.total = total
        self.done = 0
        self.start = time.time()

    def begin(self, title: str) -> None:
        self.done += 1
        elapsed = time.strftime('%M:%S', time.gmtime(time.time() - self.start))
        print(f'[{self.done}/{self.total}] {title}  (demo time {elapsed})', flush=True)

    def run(self, cmd, log_path, report_every: float = 20.0, **env_vars) -> str:
        """Run ``cmd`` from the repository root with the portable-numerics environment (and
        ``env_vars``), logging to ``log_path``; print its progress every ``report_every``
        seconds; fail loudly."""
        env = dict(os.environ, **PORTABLE_NUMERICS, **env_vars)
        env['PATH'] = osp.dirname(sys.executable) + os.pathsep + env['PATH']
        with open(log_path, 'w') as log:
            child = subprocess.Popen(cmd, cwd=REPO, stdout=log, stderr=subprocess.STDOUT, env=env)
            last_report, last_line = time.time(), ''
            while child.poll() is None:
                time.sleep(1)
                if time.time() - last_report >= report_every:
                    last_report = time.time()
                    line = self.progress(log_path)
                    if line and line != last_line:
                        print(f'      {line}', flush=True)
                    last_line = line
        with open(log_path) as log:
            text = log.read()
        if child.returncode != 0:
            sys.exit(f'command failed (exit {child.returncode}): {" ".join(cmd)}\n'
                     f'last lines of {log_path}:\n{text[-3000:]}')
        return text

    @staticmethod
    def progress(log_path: str) -> str:
        with open(log_path) as log:
            text = log.read()
        train = TRAIN_PROGRESS.findall(text)
        test = TEST_PROGRESS.findall(text)
        if test and (not train or text.rfind('Epoch(test)') > text.rfind('Epoch(train)')):
            done, total = test[-1]
            return f'evaluating: {done}/{total} batches'
        if train:
            epoch, done, total, eta = train[-1]
            return f'epoch {epoch}, iteration {done}/{total}, ETA {eta}'
        return ''


def train_options(epochs: int, seed: int, processes: int, extra=()):
    """A cosine schedule of ``epochs`` at the same global batch for any process count, seeded
    and deterministic, no in-training validation."""
    return [
        f'train_cfg.max_epochs={epochs}', f'train_cfg.val_begin={epochs + 1}',
        f'param_scheduler.0.T_max={epochs}', f'param_scheduler.0.end={epochs}',
        f'train_dataloader.batch_size={GLOBAL_BATCH // processes}', f'randomness.seed={seed}',
        'randomness.deterministic=True', *extra
    ]


def train(stages, config, work_dir, options, processes=1):
    os.makedirs(work_dir, exist_ok=True)
    env_vars = {}
    if processes > 1:
        cmd = ['bash', 'tools/dist_train.sh', config, str(processes)]
        env_vars['PORT'] = str(free_port())  # another run may hold torchrun's default
    else:
        cmd = [sys.executable, 'tools/train.py', config]
    stages.run(cmd + ['--work-dir', work_dir, '--cfg-options', *options],
               osp.join(work_dir, 'train.log'), **env_vars)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(('127.0.0.1', 0))
        return probe.getsockname()[1]


def test(stages, config, checkpoint, work_dir, options, predictions=None):
    cmd = [
        sys.executable, 'tools/test.py', config, checkpoint, '--work-dir', work_dir,
        '--cfg-options', *options
    ]
    if predictions:
        cmd += ['--out', predictions]
    text = stages.run(cmd, osp.join(work_dir, 'test.log'))
    return float(BBOX_MAP.findall(text)[-1])


def export(stages, checkpoint, out):
    stages.run([sys.executable, 'tools/export_student.py', checkpoint, out], out + '.log')
    return out


def teacher_key(options, data_root: str) -> str:
    """A hash of what the teacher depends on: its resolved config, the options, the training
    annotations, the numerics environment and the code that trains it (this package and
    tools/train.py)."""
    from mmengine.config import Config
    digest = hashlib.sha256()
    digest.update(Config.fromfile(VIDT).pretty_text.encode())
    digest.update(json.dumps([options, PORTABLE_NUMERICS]).encode())
    code = sorted(glob.glob(osp.join(REPO, 'vkd_mm', '**', '*.py'), recursive=True))
    for path in [
            osp.join(data_root, 'annotations/instances_train.json'),
            osp.join(REPO, 'tools', 'train.py'), *code
    ]:
        with open(path, 'rb') as file:
            digest.update(file.read())
    return digest.hexdigest()[:16]


def mean_spread(values):
    mean = statistics.fmean(values)
    spread = statistics.stdev(values) if len(values) > 1 else 0.0
    return mean, spread


def print_table(results, args) -> None:
    seeds = ', '.join(str(s) for s in args.seeds)
    print(f'\nToy detection ({args.source}), {args.val_images} val images, COCO bbox mAP. '
          f'Students: {args.epochs} epochs, seeds {seeds}, 2 processes; teacher: '
          f'{args.teacher_epochs} epochs, seed 0.')
    header = ' | '.join(f'seed {s}' for s in args.seeds)
    print(f'| model | {header} | mean | std |\n|---|' + '---|' * (len(args.seeds) + 2))
    for name, values in results:
        mean, spread = mean_spread(values)
        cells = ' | '.join(f'{v:.3f}' for v in values)
        if len(values) == 1:
            cells += ' |' * (len(args.seeds) - 1)
        print(f'| {name} | {cells} | {mean:.3f} | {spread:.3f} |')


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
    stages = Stages(total=2 + 4 * len(args.seeds) + 2)

    stages.begin(f'data: {args.train_images} train / {args.val_images} val images '
                 f'({args.source})')
    data_root = osp.join(work, 'data', args.source)
    source = [] if args.source == 'shapes' else ['--source', args.source]
    stages.run([
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
    teacher_dir = osp.join(work, 'teachers', teacher_key(teacher_options, data_root))
    teacher_ckpt = osp.join(teacher_dir, f'epoch_{args.teacher_epochs}.pth')
    if osp.isfile(osp.join(teacher_dir, 'done')):
        stages.begin(f'teacher: cached, {teacher_dir}')
    else:
        stages.begin(f'teacher: ViDT Swin-nano, {args.teacher_epochs} epochs, 1 process')
        train(stages, VIDT, teacher_dir, teacher_options)
        open(osp.join(teacher_dir, 'done'), 'w').close()

    runs = {}
    for seed in args.seeds:
        for kind, config, extra in (('student', VIDT, ()),
                                    ('vkd', VKD, (f'model.teacher_ckpt={teacher_ckpt}', ))):
            title = 'student alone' if kind == 'student' else 'student + V_kD'
            stages.begin(f'{title}, seed {seed}: {args.epochs} epochs, {PROCESSES} processes')
            run_dir = osp.join(work, f'{kind}_seed{seed}')
            train(stages, config, run_dir,
                  train_options(args.epochs, seed, PROCESSES, (*data, *extra)), PROCESSES)
            runs[kind, seed] = run_dir

    evaluated = {}
    for (kind, seed), run_dir in runs.items():
        stages.begin(f'evaluate {kind}, seed {seed} (tools/test.py, CocoMetric)')
        checkpoint = osp.join(run_dir, f'epoch_{args.epochs}.pth')
        if kind == 'vkd':
            checkpoint = export(stages, checkpoint, osp.join(run_dir, 'student.pth'))
        predictions = osp.join(run_dir, 'predictions.pkl')
        evaluated[kind, seed] = test(stages, VIDT, checkpoint, run_dir, data, predictions)
    stages.begin('evaluate the teacher')
    teacher_map = test(stages, VIDT, teacher_ckpt, teacher_dir, data)

    results = [
        (f'teacher (ViDT Swin-nano, {args.teacher_epochs} epochs)', [teacher_map]),
        ('student alone (ViDT Swin-nano)', [evaluated['student', s] for s in args.seeds]),
        ('student + V_kD', [evaluated['vkd', s] for s in args.seeds]),
    ]
    print_table(results, args)
    stages.begin('figures')
    from toy_det_figures import plot_predictions, plot_training_curves
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
