"""Multi-node training through MMEngine, run for real on this machine.

Two "nodes" are two ``tools/dist_train.sh`` launches with ``NNODES=2`` and ``NODE_RANK=0/1``
(torchrun with a static rendezvous on localhost), one gloo process each, sharing the work dir as
a cluster's shared file system would. They train the toy distillation config for two epochs with
validation after each, then both are started again with ``--resume`` for a third epoch.
Also: ``runner_type='FlexibleRunner'`` in a config reaches MMEngine's FlexibleRunner.
"""
import os
import os.path as osp
import re
import subprocess
import sys
from typing import List

from .conftest import REPO_ROOT, TOY_VKD_CONFIG


def write_config(tmp_path, data_root: str, max_epochs: int) -> str:
    path = tmp_path / f'multinode_{max_epochs}e.py'
    path.write_text(f"""_base_ = [{TOY_VKD_CONFIG!r}]
train_cfg = dict(max_epochs={max_epochs}, val_interval=1)
param_scheduler = dict(T_max=3)
train_dataloader = dict(batch_size=8, dataset=dict(data_root={data_root!r}))
val_dataloader = dict(batch_size=8, dataset=dict(data_root={data_root!r}))
test_dataloader = val_dataloader
default_hooks = dict(checkpoint=dict(interval=1, max_keep_ckpts=3), logger=dict(interval=1))
custom_hooks = []
""")
    return str(path)


def launch_nodes(config: str, work_dir: str, port: int, *extra: str) -> List[str]:
    """Both nodes at once; returns their logs (stdout + stderr), node 0 first."""
    processes = []
    for node_rank in (0, 1):
        env = dict(
            os.environ,
            NNODES='2',
            NODE_RANK=str(node_rank),
            PORT=str(port),
            MASTER_ADDR='127.0.0.1',
            PYTHONPATH=REPO_ROOT,
            PATH=osp.dirname(sys.executable) + os.pathsep + os.environ.get('PATH', ''))
        processes.append(
            subprocess.Popen(
                ['bash', 'tools/dist_train.sh', config, '1', '--work-dir', work_dir, *extra],
                cwd=REPO_ROOT,
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True))
    logs = []
    try:
        for process in processes:
            out, _ = process.communicate(timeout=900)
            logs.append(out)
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
    for node_rank, (process, log) in enumerate(zip(processes, logs)):
        assert process.returncode == 0, f'node {node_rank}:\n{log[-4000:]}'
    return logs


def test_two_node_training_validates_and_resumes(toy_data_root, tmp_path):
    work_dir = str(tmp_path / 'work')
    node0, _ = launch_nodes(write_config(tmp_path, toy_data_root, 2), work_dir, 29641)
    assert 'Distributed training: True' in node0
    assert 'GPU number: 2' in node0  # MMEngine's name for the world size
    assert 'loss_vkd_pooled' in node0
    assert node0.count('accuracy/top1') >= 2  # validated after each epoch
    assert osp.isfile(osp.join(work_dir, 'epoch_2.pth'))

    node0, _ = launch_nodes(write_config(tmp_path, toy_data_root, 3), work_dir, 29642, '--resume')
    assert 'resumed epoch: 2' in node0
    assert re.search(r'Epoch\(train\)\s+\[3\]', node0)
    assert 'accuracy/top1' in node0
    assert osp.isfile(osp.join(work_dir, 'epoch_3.pth'))


def test_runner_type_selects_the_flexible_runner(toy_data_root, tmp_path):
    """tools/train.py builds the runner a config's ``runner_type`` names (as MMDetection's)."""
    config = write_config(tmp_path, toy_data_root, 1)
    result = subprocess.run([
        sys.executable, 'tools/train.py', config, '--work-dir',
        str(tmp_path / 'work'), '--cfg-options', 'runner_type=FlexibleRunner'
    ],
                            cwd=REPO_ROOT,
                            capture_output=True,
                            text=True,
                            timeout=600)
    log = result.stdout + result.stderr
    assert result.returncode == 0, log[-4000:]
    assert 'accuracy/top1' in log
    assert osp.isfile(tmp_path / 'work' / 'epoch_1.pth')
    # and the runner really comes from runner_type: an unknown one is looked up and not found
    result = subprocess.run([
        sys.executable, 'tools/train.py', config, '--work-dir',
        str(tmp_path / 'none'), '--cfg-options', 'runner_type=NoSuchRunner'
    ],
                            cwd=REPO_ROOT,
                            capture_output=True,
                            text=True,
                            timeout=600)
    assert result.returncode != 0 and 'NoSuchRunner' in result.stderr
