"""The Fashion-MNIST distillation benchmark's rows, command line and run configs, shared by
benchmarks/kd_fashion_mnist.py and benchmarks/kd_budget_sweep.py (docs/fashion_mnist.md)."""
import argparse
import os.path as osp
from typing import List, Optional

from mmengine.config import Config

from .paths import project_root
from .run_store import CpuLock

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


def config_dir() -> str:
    return osp.join(project_root(), 'configs', 'fashion_mnist')


def row_config(student: str, row: str) -> str:
    """The config file of ``row`` for ``student``."""
    stem = STUDENTS[student][1]
    name = f'{stem}_4e' if row == 'student' else f'{row}_{stem}_resnet18-w8_4e'
    return osp.join(config_dir(), f'{name}_fashion-mnist.py')


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


def data_files(args) -> List[str]:
    """The Fashion-MNIST files under ``args.data_root`` (the error of a missing one names the
    package that installs them)."""
    from vkd_mm.datasets.fashion_mnist_files import fashion_mnist_files, missing_fashion_mnist_files
    if missing_fashion_mnist_files(args.data_root):
        fashion_mnist_files(args.data_root, 'train')  # raises, naming the files and the package
    return [p for split in ('train', 'test') for p in fashion_mnist_files(args.data_root, split)]


def parse_args(argv=None, description: Optional[str] = None):
    """The benchmark's command line; ``args.cpu_lock`` is the :class:`CpuLock` of ``--lock``."""
    parser = argparse.ArgumentParser(description=description)
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
        args.work_dir or osp.join(project_root(), 'work_dirs',
                                  'kd_fashion_mnist_quick' if args.quick else 'kd_fashion_mnist'))
    args.cpu_lock = CpuLock(args.lock)
    return args
