"""Runs of the project's tools as child processes: training (``tools/train.py``, or
``tools/dist_train.sh`` with N processes), testing (``tools/test.py``) and exporting a distilled
student (``tools/export_student.py``), each logged to a file."""
import os
import os.path as osp
import socket
import subprocess
import sys
import time
from typing import Dict, Mapping, Optional, Sequence

from .metrics import read_metrics
from .paths import project_root
from .progress import log_progress

__all__ = ['RunFailed', 'Launcher', 'free_port']


class RunFailed(RuntimeError):
    """A child process exited non-zero; the message names the command and its log."""


def free_port() -> int:
    """A TCP port free on this machine now (torchrun's default may be held by another run)."""
    with socket.socket() as probe:
        probe.bind(('127.0.0.1', 0))
        return probe.getsockname()[1]


class Launcher:
    """Starts the project's tools from ``root`` with this Python, logging each to a file.

    Args:
        root: the folder with ``tools/`` and ``configs/`` (default :func:`project_root`).
        env: variables set for every child, over this process's environment.
        report_every: seconds between the progress lines printed while a child runs
            (:func:`log_progress` of its log); ``None`` prints none.
        echo: print each command (``$ cmd``) before it runs.
    """

    def __init__(self,
                 root: Optional[str] = None,
                 env: Optional[Mapping[str, str]] = None,
                 report_every: Optional[float] = None,
                 echo: bool = False) -> None:
        self.root = root or project_root()
        self.env = dict(env or {})
        self.report_every = report_every
        self.echo = echo

    def run(self,
            cmd: Sequence[str],
            log_path: str,
            env: Optional[Mapping[str, str]] = None) -> str:
        """Run ``cmd`` from the root, stdout and stderr into ``log_path``; return the log's text.

        Raises:
            RunFailed: on a non-zero exit, naming the command, the log and its last lines.
        """
        if self.echo:
            print('$ ' + ' '.join(cmd), flush=True)
        child_env = dict(os.environ, **self.env, **(env or {}))
        # dist_train.sh calls torchrun and python: this interpreter's first
        child_env['PATH'] = osp.dirname(sys.executable) + os.pathsep + child_env.get('PATH', '')
        os.makedirs(osp.dirname(osp.abspath(log_path)), exist_ok=True)
        with open(log_path, 'w') as log:
            child = subprocess.Popen(
                list(cmd), cwd=self.root, stdout=log, stderr=subprocess.STDOUT, env=child_env)
            self._wait(child, log_path)
        with open(log_path) as log:
            text = log.read()
        if child.returncode != 0:
            raise RunFailed(f'command failed (exit {child.returncode}): {" ".join(cmd)}\n'
                            f'last lines of {log_path}:\n{text[-3000:]}')
        return text

    def _wait(self, child: subprocess.Popen, log_path: str) -> None:
        if self.report_every is None:
            child.wait()
            return
        last_report, last_line = time.time(), ''
        while child.poll() is None:
            time.sleep(1)
            if time.time() - last_report >= self.report_every:
                last_report = time.time()
                with open(log_path) as log:
                    line = log_progress(log.read())
                if line and line != last_line:
                    print(f'      {line}', flush=True)
                last_line = line

    def train(self,
              config: str,
              work_dir: str,
              options: Sequence[str] = (),
              processes: int = 1) -> str:
        """Train ``config`` into ``work_dir`` with ``--cfg-options options``: tools/train.py, or
        tools/dist_train.sh on a free port for ``processes`` > 1. Logs to ``work_dir/train.log``;
        returns the log's text."""
        env = {}
        if processes > 1:
            cmd = ['bash', 'tools/dist_train.sh', config, str(processes)]
            env['PORT'] = str(free_port())
        else:
            cmd = [sys.executable, 'tools/train.py', config]
        cmd += ['--work-dir', work_dir]
        if options:
            cmd += ['--cfg-options', *options]
        return self.run(cmd, osp.join(work_dir, 'train.log'), env)

    def test(self,
             config: str,
             checkpoint: str,
             work_dir: str,
             options: Sequence[str] = (),
             out: Optional[str] = None) -> Dict[str, float]:
        """Evaluate ``checkpoint`` with tools/test.py through ``config``, logging to
        ``work_dir/test.log``; return the metrics it printed (:func:`read_metrics`). ``out``
        keeps the predictions (``--out``)."""
        cmd = [sys.executable, 'tools/test.py', config, checkpoint, '--work-dir', work_dir]
        if options:
            cmd += ['--cfg-options', *options]
        if out:
            cmd += ['--out', out]
        log_path = osp.join(work_dir, 'test.log')
        self.run(cmd, log_path)
        return read_metrics(log_path)

    def export_student(self, checkpoint: str, out: str) -> str:
        """The student of a distillation checkpoint alone (tools/export_student.py), loadable
        into the stock student config; logs to ``out + '.log'``; returns ``out``."""
        self.run([sys.executable, 'tools/export_student.py', checkpoint, out], out + '.log')
        return out
