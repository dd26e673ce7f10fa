"""What the experiment drivers (tools/toy_demo.py, tools/toy_det_demo.py,
tools/toy_gan_diversity.py, benchmarks/kd_fashion_mnist.py, ...) share: launching the project's
tools as logged child processes or training in this process, a teacher cache keyed by config,
data and code, metrics read back from logs, mean +- std and markdown tables, progress lines and
the stamp (command, commit, machine) printed beside results. See docs/experiments.md.

Importing it imports MMEngine and torch, no host library (MMDetection, MMPretrain, MMagic).
"""
from .cache import TeacherCache, code_hash, files_hash, resolved_config_text, teacher_key
from .launch import Launcher, RunFailed, free_port
from .metrics import read_metrics
from .paths import project_root
from .progress import Progress, log_progress
from .stamp import command_line, cpu_name, git_commit, machine
from .table import markdown_header, markdown_row, markdown_table, mean_spread, mean_std
from .training import build_runner, prepare_training, train_in_process

__all__ = [
    'TeacherCache', 'code_hash', 'files_hash', 'resolved_config_text', 'teacher_key', 'Launcher',
    'RunFailed', 'free_port', 'read_metrics', 'project_root', 'Progress', 'log_progress',
    'command_line', 'cpu_name', 'git_commit', 'machine', 'markdown_header', 'markdown_row',
    'markdown_table', 'mean_spread', 'mean_std', 'build_runner', 'prepare_training',
    'train_in_process'
]
