"""What a result was measured with: the command, the git commit and the machine."""
import os
import platform
import shlex
import subprocess
import sys
from typing import Optional, Sequence

import torch

__all__ = ['command_line', 'git_commit', 'cpu_name', 'machine']


def command_line(argv: Optional[Sequence[str]] = None) -> str:
    """This process's command (``sys.argv`` after the interpreter), shell-quoted."""
    return ' '.join(shlex.quote(a) for a in [sys.executable, *(sys.argv if argv is None else argv)])


def git_commit(root: str) -> str:
    """The short commit of the checkout at ``root``, with ``' (with local changes)'`` when a
    tracked file differs or an untracked, not ignored file is there; ``'unknown'`` outside git."""
    try:
        commit = subprocess.run(['git', 'rev-parse', '--short', 'HEAD'],
                                cwd=root,
                                capture_output=True,
                                text=True,
                                check=True).stdout.strip()
        dirty = subprocess.run(['git', 'status', '--porcelain'],
                               cwd=root,
                               capture_output=True,
                               text=True,
                               check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return 'unknown'
    return commit + (' (with local changes)' if dirty else '')


def cpu_name() -> str:
    """The CPU's model name (``/proc/cpuinfo``), else what ``platform`` knows."""
    try:
        with open('/proc/cpuinfo') as f:
            return next(
                line.split(':', 1)[1].strip() for line in f if line.startswith('model name'))
    except (OSError, StopIteration):
        return platform.processor() or platform.machine()


def machine() -> str:
    """The CPU, its logical cores, torch's version and threads, the GPU if any and the 1-minute
    load average now."""
    text = (f'{cpu_name()}, {os.cpu_count()} logical CPUs, torch {torch.__version__} with '
            f'{torch.get_num_threads()} threads')
    if torch.cuda.is_available():
        text += f', GPU {torch.cuda.get_device_name(0)}'
    if hasattr(os, 'getloadavg'):
        text += f', load average {os.getloadavg()[0]:.2f}'
    return text
