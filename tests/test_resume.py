"""A training run killed with SIGKILL and resumed ends bitwise equal to the uninterrupted run.

Real ``tools/train.py`` runs of the toy distillation config on the CPU: 8 iterations of 12
images, a checkpoint every 3 iterations (so the run is killed and resumed inside an epoch),
validation in between, random flips in the data pipeline (in 2 persistent data-loader workers
in one case). The killed run is stopped with
SIGKILL as soon as the checkpoint of iteration 3 is complete; ``--resume`` then continues from
it. Compared with an uninterrupted run: every weight and buffer, the optimizer state, and every
logged loss and learning rate.
"""
import glob
import json
import os
import os.path as osp
import signal
import subprocess
import sys
import time

import pytest
import torch

from vkd_mm.utils import load_checkpoint_file
from .conftest import REPO_ROOT, TOY_VKD_CONFIG

MAX_ITERS = 8  # 2 epochs of 4 batches
KILL_AFTER = 'iter_3.pth'

EPOCH_BASED = """
train_cfg = dict(max_epochs=2, val_interval=1)
param_scheduler = dict(T_max=2)
"""
ITER_BASED = """
train_cfg = dict(_delete_=True, by_epoch=False, max_iters=8, val_interval=4)
param_scheduler = dict(by_epoch=False, T_max=8)
"""
# data-loader workers that live through the run, as MMagic's configs have them
WORKERS = """
train_dataloader.update(num_workers=2, persistent_workers=True)
"""


def write_config(tmp_path, data_root: str, schedule: str, processes: int) -> str:
    """The toy config: 48 images, batches of 12 over all processes: 4 steps an epoch."""
    path = tmp_path / 'resume_cfg.py'
    path.write_text(f"""_base_ = [{TOY_VKD_CONFIG!r}]
train_dataloader = dict(batch_size={12 // processes}, dataset=dict(data_root={data_root!r}))
val_dataloader = dict(batch_size=12, dataset=dict(data_root={data_root!r}))
test_dataloader = val_dataloader
default_hooks = dict(checkpoint=dict(by_epoch=False, interval=3, max_keep_ckpts=5),
                     logger=dict(interval=1))
custom_hooks = []
randomness = dict(seed=0)
{schedule}""")
    return str(path)


def train_command(config: str, work_dir: str, processes: int, port: int) -> list:
    if processes == 1:
        return [sys.executable, 'tools/train.py', config, '--work-dir', work_dir]
    return ['bash', 'tools/dist_train.sh', config, str(processes), '--work-dir', work_dir]


def environment(port: int) -> dict:
    return dict(
        os.environ,
        PORT=str(port),
        PYTHONPATH=REPO_ROOT,
        PATH=osp.dirname(sys.executable) + os.pathsep + os.environ.get('PATH', ''))


def run(command: list, port: int) -> str:
    result = subprocess.run(
        command, cwd=REPO_ROOT, capture_output=True, text=True, timeout=600, env=environment(port))
    log = result.stdout + result.stderr
    assert result.returncode == 0, log[-4000:]
    return log


def process_tree(pid: int) -> list:
    """``pid`` and all its descendants (torchrun starts its workers in sessions of their own,
    so a process group does not hold them)."""
    children = {}
    for entry in os.listdir('/proc'):
        if entry.isdigit():
            try:
                stat = open(f'/proc/{entry}/stat').read()
            except OSError:
                continue
            parent = int(stat[stat.rindex(')') + 2:].split()[1])
            children.setdefault(parent, []).append(int(entry))
    tree, queue = [], [pid]
    while queue:
        tree.append(queue.pop())
        queue.extend(children.get(tree[-1], []))
    return tree


def kill_tree(pid: int) -> None:
    """SIGKILL a process and every descendant, as a preempted machine would."""
    for member in reversed(process_tree(pid)):  # the training processes first
        try:
            os.kill(member, signal.SIGKILL)
        except ProcessLookupError:
            pass


def run_and_kill(command: list, work_dir: str, port: int) -> None:
    """Start a run and SIGKILL all its processes once ``KILL_AFTER`` is complete."""
    process = subprocess.Popen(
        command,
        cwd=REPO_ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=environment(port))
    marker = osp.join(work_dir, 'last_checkpoint')
    deadline = time.time() + 600
    try:
        while time.time() < deadline and process.poll() is None:
            if osp.isfile(marker) and open(marker).read().strip().endswith(KILL_AFTER):
                kill_tree(process.pid)
                break
            time.sleep(0.05)
        process.wait(60)
    finally:
        if process.poll() is None:
            kill_tree(process.pid)
    assert process.returncode == -signal.SIGKILL, f'the run ended by itself ({process.returncode})'
    time.sleep(1)  # nothing of the run may still be writing
    assert not osp.isfile(osp.join(work_dir, f'iter_{MAX_ITERS}.pth'))


def logged_scalars(work_dir: str) -> dict:
    """iteration -> the logged losses and learning rates, over every run in the work dir."""
    logged = {}
    for path in glob.glob(osp.join(work_dir, '*', 'vis_data', 'scalars.json')):
        for line in open(path):
            record = json.loads(line)
            if 'loss' in record:
                logged.setdefault(record['step'], []).append({
                    k: v
                    for k, v in record.items() if k.startswith(('loss', 'lr', 'base_lr'))
                })
    return logged


def tensors(tree, prefix=''):
    """Every tensor of a nested state dict, by its path."""
    if isinstance(tree, torch.Tensor):
        return {prefix: tree}
    if isinstance(tree, dict):
        items = tree.items()
    elif isinstance(tree, (list, tuple)):
        items = enumerate(tree)
    else:
        return {prefix: torch.tensor(tree)} if isinstance(tree, (int, float)) else {}
    out = {}
    for key, value in items:
        out.update(tensors(value, f'{prefix}/{key}'))
    return out


def max_difference(reference: dict, other: dict) -> float:
    assert reference.keys() == other.keys()
    return max((reference[k].double() - other[k].double()).abs().max().item() for k in reference
               if reference[k].numel())


@pytest.mark.parametrize('schedule,processes,port', [
    pytest.param(EPOCH_BASED, 1, 29631, id='epoch-based-1-process'),
    pytest.param(ITER_BASED + WORKERS, 1, 29632, id='iter-based-1-process-2-workers'),
    pytest.param(EPOCH_BASED, 2, 29633, id='epoch-based-2-gloo-processes'),
    pytest.param(ITER_BASED, 2, 29634, id='iter-based-2-gloo-processes'),
])
def test_sigkill_and_resume_equals_the_uninterrupted_run(schedule, processes, port, toy_data_root,
                                                         tmp_path):
    config = write_config(tmp_path, toy_data_root, schedule, processes)
    reference_dir, killed_dir = str(tmp_path / 'reference'), str(tmp_path / 'killed')
    run(train_command(config, reference_dir, processes, port), port)
    run_and_kill(train_command(config, killed_dir, processes, port), killed_dir, port)
    log = run(train_command(config, killed_dir, processes, port) + ['--resume'], port)
    assert 'resumed epoch' in log and 'iter: 3' in log, log[-3000:]

    final = f'iter_{MAX_ITERS}.pth'
    reference = load_checkpoint_file(osp.join(reference_dir, final))
    resumed = load_checkpoint_file(osp.join(killed_dir, final))
    assert max_difference(tensors(reference['state_dict']), tensors(resumed['state_dict'])) == 0
    assert max_difference(tensors(reference['optimizer']), tensors(resumed['optimizer'])) == 0
    reference_log, resumed_log = logged_scalars(reference_dir), logged_scalars(killed_dir)
    assert sorted(reference_log) == list(range(1, MAX_ITERS + 1))
    assert set(resumed_log) == set(reference_log)
    for step, records in resumed_log.items():
        # the killed run logged some steps after its last checkpoint; the resumed run again
        assert all(record == reference_log[step][0] for record in records), step
