"""Real MMEngine runs of the toy distillation config: resume, export, evaluation, diagnostics."""
import copy
import os
import os.path as osp
import shutil
import subprocess
import sys

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import DefaultScope
from mmengine.runner import Runner, load_checkpoint

from vkd_mm.registry import MODELS
from vkd_mm.utils import export_student_state_dict, load_checkpoint_file, use_checkpoint_policy
from .conftest import REPO_ROOT, TOY_STUDENT_CONFIG, TOY_VKD_CONFIG


def toy_cfg(path, data_root, work_dir, max_epochs):
    cfg = Config.fromfile(path)
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        cfg[loader].dataset.data_root = data_root
        cfg[loader].batch_size = 16
    cfg.work_dir = str(work_dir)
    cfg.train_cfg.max_epochs = max_epochs
    cfg.train_cfg.val_interval = max_epochs
    cfg.param_scheduler.T_max = max_epochs
    cfg.default_hooks.logger.interval = 1
    cfg.default_hooks.checkpoint.max_keep_ckpts = 3
    cfg.experiment_name = osp.basename(str(work_dir))
    for hook in cfg.get('custom_hooks', []):
        hook.interval = 2
    return cfg


@pytest.fixture(scope='module')
def trained(toy_data_root, tmp_path_factory):
    """Two epochs of V_kD on the toy data; keeps the runner and its work dir."""
    work_dir = tmp_path_factory.mktemp('vkd_run')
    runner = Runner.from_cfg(toy_cfg(TOY_VKD_CONFIG, toy_data_root, work_dir, max_epochs=2))
    runner.train()
    return runner, work_dir


def optimizer_state_tensors(state):
    return {
        (pid, k): v
        for pid, s in state['state'].items()
        for k, v in s.items() if isinstance(v, torch.Tensor)
    }


def test_resume_restores_projector_and_optimizer_exactly(trained, toy_data_root):
    runner, work_dir = trained
    checkpoint = load_checkpoint_file(osp.join(work_dir, 'epoch_2.pth'))
    cfg = toy_cfg(TOY_VKD_CONFIG, toy_data_root, work_dir, max_epochs=3)
    cfg.resume = True
    cfg.load_from = osp.join(work_dir, 'epoch_2.pth')
    cfg.experiment_name = 'resumed'
    use_checkpoint_policy()  # what tools/train.py does: MMEngine's checkpoints load safely
    resumed = Runner.from_cfg(cfg)
    resumed.load_or_resume()

    assert resumed.epoch == 2 and resumed.iter == runner.iter
    model = resumed.model
    for key, value in runner.model.pairs.state_dict().items():
        assert torch.equal(model.pairs.state_dict()[key], value), key
    saved = optimizer_state_tensors(checkpoint['optimizer'])
    restored = optimizer_state_tensors(resumed.optim_wrapper.optimizer.state_dict())
    assert saved.keys() == restored.keys() and saved
    assert all(torch.equal(saved[k], restored[k]) for k in saved)
    assert model.teacher.training is False

    resumed.train()
    assert resumed.epoch == 3


def test_resume_through_the_train_tool(trained, toy_data_root, tmp_path):
    """tools/train.py --resume on a copy of the run, one more epoch."""
    _, work_dir = trained
    run_dir = tmp_path / 'run'
    shutil.copytree(work_dir, run_dir, ignore=shutil.ignore_patterns('2*'))
    result = subprocess.run([
        sys.executable, 'tools/train.py', TOY_VKD_CONFIG, '--work-dir',
        str(run_dir), '--resume',
        str(run_dir / 'epoch_2.pth'), '--cfg-options',
        f'train_dataloader.dataset.data_root={toy_data_root}',
        f'val_dataloader.dataset.data_root={toy_data_root}', 'train_cfg.max_epochs=3',
        'train_cfg.val_interval=3', 'train_dataloader.batch_size=16'
    ],
                            cwd=REPO_ROOT,
                            capture_output=True,
                            text=True,
                            timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    assert 'resumed epoch: 2' in result.stdout + result.stderr
    assert osp.isfile(run_dir / 'epoch_3.pth')


def test_exported_student_loads_strictly_into_the_stock_model(trained, tmp_path):
    runner, work_dir = trained
    out = str(tmp_path / 'student.pth')
    result = subprocess.run(
        [sys.executable, 'tools/export_student.py',
         osp.join(work_dir, 'epoch_2.pth'), out],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]

    student_cfg = Config.fromfile(TOY_STUDENT_CONFIG)
    model_cfg = copy.deepcopy(student_cfg.model)
    model_cfg.data_preprocessor = student_cfg.data_preprocessor
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        stock = MODELS.build(model_cfg)
    load_checkpoint(stock, out, map_location='cpu', strict=True)
    exported = torch.load(out, weights_only=False)['state_dict']
    assert not any(k.startswith(('teacher', 'pairs')) for k in exported)

    stock.eval()
    distilled = runner.model.eval()
    x = torch.randn(4, 3, 32, 32)
    with torch.no_grad():
        torch.testing.assert_close(stock(x, mode='tensor'), distilled.student(x, mode='tensor'))


def test_export_rejects_a_plain_checkpoint():
    with pytest.raises(ValueError, match="no key starting with 'student.'"):
        export_student_state_dict({'state_dict': {'backbone.conv1.weight': torch.zeros(1)}})


def test_test_tool_reports_top1_of_the_exported_student(trained, toy_data_root, tmp_path):
    _, work_dir = trained
    out = str(tmp_path / 'student.pth')
    subprocess.run(
        [sys.executable, 'tools/export_student.py',
         osp.join(work_dir, 'epoch_2.pth'), out],
        cwd=REPO_ROOT,
        check=True,
        capture_output=True)
    result = subprocess.run([
        sys.executable, 'tools/test.py', TOY_STUDENT_CONFIG, out, '--work-dir',
        str(tmp_path / 'test'), '--cfg-options',
        f'test_dataloader.dataset.data_root={toy_data_root}'
    ],
                            cwd=REPO_ROOT,
                            capture_output=True,
                            text=True,
                            timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    assert 'accuracy/top1' in result.stdout + result.stderr


def test_diagnostics_hook_logs_projector_statistics(trained):
    runner, _ = trained
    scalars = runner.message_hub.log_scalars
    for stat in ('orth_err', 'sv_min', 'sv_max', 'ip_distortion'):
        key = f'train/pairs.pooled.projector/{stat}'
        assert key in scalars, sorted(scalars)
    assert scalars['train/pairs.pooled.projector/orth_err'].current() < 1e-5
    # 64 -> 256 with orthonormal columns: the batch's inner products are kept
    assert scalars['train/pairs.pooled.projector/ip_distortion'].current() < 1e-5
    assert abs(scalars['train/pairs.pooled.projector/sv_min'].current() - 1) < 1e-5


def test_two_process_gloo_training(toy_data_root, tmp_path):
    """tools/dist_train.sh with 2 CPU processes (torchrun, gloo, MMDistributedDataParallel)."""
    env = dict(
        os.environ,
        PORT='29611',
        PATH=osp.dirname(sys.executable) + os.pathsep + os.environ.get('PATH', ''))
    result = subprocess.run([
        'bash', 'tools/dist_train.sh', TOY_VKD_CONFIG, '2', '--work-dir',
        str(tmp_path), '--cfg-options', f'train_dataloader.dataset.data_root={toy_data_root}',
        f'val_dataloader.dataset.data_root={toy_data_root}', 'train_cfg.max_epochs=1',
        'train_cfg.val_interval=1', 'train_dataloader.batch_size=8',
        'default_hooks.logger.interval=1'
    ],
                            cwd=REPO_ROOT,
                            capture_output=True,
                            text=True,
                            timeout=600,
                            env=env)
    log = result.stdout + result.stderr
    assert result.returncode == 0, log[-4000:]
    assert 'Distributed launcher: pytorch' in log and 'Distributed training: True' in log
    assert 'loss_vkd_pooled' in log
    assert 'accuracy/top1' in log
    assert osp.isfile(tmp_path / 'epoch_1.pth')


def test_mmengine_checkpoints_load_safely_under_the_policy(trained):
    """torch >= 2.6 refuses MMEngine's own checkpoints by default; under vkd_mm's policy they
    load with weights_only=True (the types MMEngine writes are allowed one by one)."""
    from mmengine.runner.checkpoint import CheckpointLoader
    _, work_dir = trained
    path = osp.join(work_dir, 'epoch_2.pth')
    with pytest.raises(Exception, match='weights_only'):
        torch.load(path)
    use_checkpoint_policy()
    checkpoint = CheckpointLoader.load_checkpoint(path, map_location='cpu')
    assert 'message_hub' in checkpoint and 'exact_resume' not in checkpoint
