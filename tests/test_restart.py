"""A dead worker and a preempted job: the run goes on by itself and ends bitwise as if unhurt.

Real ``tools/dist_train.sh`` and ``tools/train.py`` runs of the toy distillation config on the
CPU, set up as in ``tests/test_resume.py`` (8 steps of 12 images, a checkpoint every 3,
validation, random flips), compared with the uninterrupted run of the same command: every
weight and buffer, the optimizer state and every logged loss and learning rate.

- one of 2 gloo ranks is killed with SIGKILL before any checkpoint exists, and again after the
  checkpoint of step 3 is complete: each time torchrun (``MAX_RESTARTS``) starts both again,
  and they start from scratch, then resume from that checkpoint;
- ``tools/slurm_train.sh`` (with stand-ins for ``srun`` and ``scontrol``: no Slurm here) gets
  the signal Slurm sends before a time limit: its one ``tools/train.py`` process gets SIGTERM,
  saves a checkpoint after its current step and exits with code 75, the script requeues the
  job, and the same command started again as the requeued job (``SLURM_RESTART_COUNT=1``)
  resumes from that checkpoint.
"""
import os
import os.path as osp
import re
import signal
import subprocess
import time
from typing import Callable

from vkd_mm.hooks import PREEMPTED_EXIT_CODE
from vkd_mm.utils import load_checkpoint_file
from .conftest import REPO_ROOT
from .test_resume import (EPOCH_BASED, KILL_AFTER, MAX_ITERS, environment, logged_scalars,
                          max_difference, process_tree, run, tensors, train_command, write_config)

# checkpoints at step 8 only: the checkpoint written on SIGTERM is the one resumed from
LAST_ONLY = EPOCH_BASED + """
default_hooks['checkpoint']['interval'] = 100
"""


def assert_same_run(reference_dir: str, work_dir: str) -> None:
    """Final weights, buffers and optimizer state, and every logged step, as the reference."""
    final = f'iter_{MAX_ITERS}.pth'
    reference = load_checkpoint_file(osp.join(reference_dir, final))
    other = load_checkpoint_file(osp.join(work_dir, final))
    assert max_difference(tensors(reference['state_dict']), tensors(other['state_dict'])) == 0
    assert max_difference(tensors(reference['optimizer']), tensors(other['optimizer'])) == 0
    reference_log, other_log = logged_scalars(reference_dir), logged_scalars(work_dir)
    assert sorted(reference_log) == list(range(1, MAX_ITERS + 1))
    assert set(other_log) == set(reference_log)
    for step, records in other_log.items():
        # steps trained before the fault and again after it are logged twice
        assert all(record == reference_log[step][0] for record in records), step


def run_with_fault(command: list, port: int, log_path: str,
                   fault: Callable[[subprocess.Popen], None], **env: str) -> str:
    """Start the command, call ``fault`` with its process while it runs and wait for its end;
    its output (written to ``log_path``), once its exit code is checked to be 0."""
    with open(log_path, 'w') as log:  # the process keeps its own handle
        process = subprocess.Popen(
            command,
            cwd=REPO_ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=dict(environment(port), **env))
    try:
        fault(process)
        process.wait(600)
    finally:
        if process.poll() is None:
            process.kill()
    log = open(log_path).read()
    assert process.returncode == 0, log[-4000:]
    return log


def wait_until(process: subprocess.Popen, ready, what: str) -> None:
    deadline = time.time() + 600
    while not ready():
        assert process.poll() is None, f'the run ended before {what}'
        assert time.time() < deadline, f'no {what} in 10 minutes'
        time.sleep(0.05)


def checkpoint_named(work_dir: str, name: str):
    marker = osp.join(work_dir, 'last_checkpoint')
    return lambda: osp.isfile(marker) and open(marker).read().strip().endswith(name)


def first_step_logged(work_dir: str):
    return lambda: bool(logged_scalars(work_dir))


def rank_process(root: int, rank: int) -> int:
    """The training process of ``rank`` under a torchrun started as ``root``."""
    for pid in process_tree(root):
        try:
            environ = open(f'/proc/{pid}/environ', 'rb').read().split(b'\0')
            cmdline = open(f'/proc/{pid}/cmdline', 'rb').read()
        except OSError:
            continue
        if b'train.py' in cmdline and f'RANK={rank}'.encode() in environ:
            return pid
    raise AssertionError(f'no process of rank {rank} under {root}')


def test_killed_ranks_are_restarted_and_the_run_ends_as_the_uninterrupted_one(
        toy_data_root, tmp_path):
    """Rank 1 is killed twice in one run of 2 gloo processes: after the first logged step,
    before any checkpoint exists (the restart starts from scratch), then in the restarted group
    once the checkpoint of step 3 is complete (the second restart resumes from it)."""
    config = write_config(tmp_path, toy_data_root, EPOCH_BASED, 2)
    reference_dir, work_dir = str(tmp_path / 'reference'), str(tmp_path / 'work')
    run(train_command(config, reference_dir, 2, 29651), 29651)

    def kill_rank_1_twice(process: subprocess.Popen) -> None:
        wait_until(process, first_step_logged(work_dir), 'logged step')
        assert not osp.isfile(osp.join(work_dir, 'last_checkpoint'))
        first = rank_process(process.pid, 1)
        os.kill(first, signal.SIGKILL)
        wait_until(process, checkpoint_named(work_dir, KILL_AFTER), KILL_AFTER)
        second = rank_process(process.pid, 1)
        assert second != first  # rank 1 of the restarted group
        os.kill(second, signal.SIGKILL)

    log = run_with_fault(
        train_command(config, work_dir, 2, 29652),
        29652,
        str(tmp_path / 'log.txt'),
        kill_rank_1_twice,
        MAX_RESTARTS='2')
    assert log.count('(exitcode: -9) local_rank: 1') == 2, log[-4000:]  # torchrun saw both
    assert 'restart 1: no checkpoint yet, training from scratch' in log, log[-4000:]
    assert f'restart 2: resuming from {work_dir}/{KILL_AFTER}' in log, log[-4000:]
    assert_same_run(reference_dir, work_dir)


FAKE_SRUN = """#!/usr/bin/env bash
# stands in for srun where there is no Slurm: drops srun's options and runs the one task in its
# place (exec: the signals the script sends srun reach the task), without a launcher
while [ "$1" != python ]; do shift; done
args=()
for arg in "$@"; do
    [ "$arg" = --launcher=slurm ] && arg=--launcher=none
    args+=("$arg")
done
exec "${args[@]}"
"""
FAKE_SCONTROL = """#!/usr/bin/env bash
echo "$@" >> "$SCONTROL_LOG"
"""


def slurm_stand_ins(folder) -> dict:
    """An environment whose ``srun`` and ``scontrol`` are the stand-ins above."""
    folder.mkdir()
    for name, text in (('srun', FAKE_SRUN), ('scontrol', FAKE_SCONTROL)):
        (folder / name).write_text(text)
        (folder / name).chmod(0o755)
    return dict(
        PATH=f'{folder}{os.pathsep}{environment(0)["PATH"]}',
        SLURM_JOB_ID='4242',
        SCONTROL_LOG=str(folder / 'scontrol.log'))


def test_sigterm_saves_a_checkpoint_the_job_is_requeued_and_resumes_exactly(
        toy_data_root, tmp_path):
    """tools/slurm_train.sh in a batch job gets SIGUSR1 (``--signal=B:USR1@...``): the
    training process gets SIGTERM, saves a checkpoint and exits with code 75; the script
    requeues the job; the requeued job (the same command, ``SLURM_RESTART_COUNT=1``) resumes."""
    config = write_config(tmp_path, toy_data_root, LAST_ONLY, 1)
    reference_dir, work_dir = str(tmp_path / 'reference'), str(tmp_path / 'work')
    run(train_command(config, reference_dir, 1, 29654), 29654)
    slurm = slurm_stand_ins(tmp_path / 'slurm')
    command = ['bash', 'tools/slurm_train.sh', 'debug', 'toy', config, work_dir]

    def preempt(process: subprocess.Popen) -> None:
        wait_until(process, first_step_logged(work_dir), 'logged step')
        process.send_signal(signal.SIGUSR1)

    log = run_with_fault(command, 29654, str(tmp_path / 'preempted.txt'), preempt, **slurm)
    assert f'exiting with code {PREEMPTED_EXIT_CODE}' in log, log[-4000:]
    assert open(slurm['SCONTROL_LOG']).read() == 'requeue 4242\n'
    saved = re.search(r'stopped after step (\d+) on a signal; saved (\S+);', log)
    assert saved, log[-4000:]
    step, path = int(saved.group(1)), saved.group(2)
    assert 1 <= step < MAX_ITERS and path == osp.join(work_dir, f'iter_{step}.pth')
    assert open(osp.join(work_dir, 'last_checkpoint')).read() == path

    requeued = subprocess.run(
        command,
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        env=dict(environment(29654), SLURM_RESTART_COUNT='1', **slurm))
    output = requeued.stdout + requeued.stderr
    assert requeued.returncode == 0, output[-4000:]
    assert f'restart 1: resuming from {path}' in output
    assert f'resumed epoch: {(step - 1) // 4}, iter: {step}' in output, output[-4000:]
    assert open(slurm['SCONTROL_LOG']).read() == 'requeue 4242\n'  # not requeued again
    assert_same_run(reference_dir, work_dir)
