"""Torn checkpoints and a full disk, with real MMEngine runs of the toy distillation config.

One process, in this process: 6 iterations of 12 images, a checkpoint every 3, set up as
``tools/train.py`` sets runs up (exact resume, atomic checkpoints). A checkpoint cut short by
hand is named and passed over for the previous one, and the run resumed from that one ends
bitwise equal to the run that saved it; a save that meets a full disk stops with the path and
the bytes it needed, and leaves the previous checkpoint in place.
"""
import errno
import os
import os.path as osp

import pytest
from mmengine.config import Config
from mmengine.hooks import Hook
from mmengine.runner import Runner

from vkd_mm.engine import (NoCompleteCheckpointError, enable_exact_resume, enable_fault_tolerance,
                           find_resume_checkpoint, resolve_resume)
from vkd_mm.utils import DiskFullError, atomic_io, load_checkpoint_file, use_checkpoint_policy
from .conftest import TOY_VKD_CONFIG
from .test_resume import max_difference, tensors


def run_config(data_root: str, work_dir: str, max_keep_ckpts: int = 5) -> Config:
    """The toy run of 6 iterations, a checkpoint every 3, as tools/train.py prepares it."""
    cfg = Config.fromfile(TOY_VKD_CONFIG)
    cfg.train_dataloader.dataset.data_root = data_root
    cfg.train_dataloader.batch_size = 12
    cfg.train_cfg = dict(by_epoch=False, max_iters=6, val_interval=100)
    cfg.param_scheduler = dict(type='CosineAnnealingLR', by_epoch=False, T_max=6)
    cfg.val_dataloader = cfg.val_evaluator = cfg.val_cfg = None
    cfg.test_dataloader = cfg.test_evaluator = cfg.test_cfg = None
    cfg.default_hooks.checkpoint = dict(
        type='CheckpointHook', by_epoch=False, interval=3, max_keep_ckpts=max_keep_ckpts)
    cfg.custom_hooks = []
    cfg.randomness = dict(seed=0)
    cfg.work_dir = work_dir
    cfg.experiment_name = osp.basename(work_dir)
    use_checkpoint_policy()
    enable_exact_resume(cfg)
    enable_fault_tolerance(cfg)
    return cfg


def truncate(path: str) -> None:
    """Cut a file to half its length, as a copy or a write cut short would."""
    with open(path, 'rb+') as file:
        file.truncate(osp.getsize(path) // 2)


@pytest.fixture(scope='module')
def saved_run(toy_data_root, tmp_path_factory):
    """A finished run's work dir (checkpoints of steps 3 and 6) and its final checkpoint."""
    work_dir = str(tmp_path_factory.mktemp('saved_run'))
    Runner.from_cfg(run_config(toy_data_root, work_dir)).train()
    return work_dir, load_checkpoint_file(osp.join(work_dir, 'iter_6.pth'))


def test_the_hook_writes_atomically_and_points_at_the_newest(saved_run):
    work_dir, _ = saved_run
    assert open(osp.join(work_dir, 'last_checkpoint')).read() == osp.join(work_dir, 'iter_6.pth')
    assert sorted(name for name in os.listdir(work_dir) if name.endswith('.pth')) == \
        ['iter_3.pth', 'iter_6.pth']
    assert not [name for name in os.listdir(work_dir) if name.endswith('.tmp')]
    assert find_resume_checkpoint(work_dir) == osp.join(work_dir, 'iter_6.pth')


def test_a_torn_newest_checkpoint_is_named_and_the_previous_one_resumes_exactly(
        saved_run, toy_data_root, tmp_path):
    source, reference = saved_run
    work_dir = str(tmp_path / 'torn')
    os.makedirs(work_dir)
    for name in ('iter_3.pth', 'iter_6.pth'):
        with open(osp.join(source, name), 'rb') as file:
            data = file.read()
        with open(osp.join(work_dir, name), 'wb') as file:
            file.write(data)
    with open(osp.join(work_dir, 'last_checkpoint'), 'w') as file:
        file.write(osp.join(work_dir, 'iter_6.pth'))
    # what a write killed half-way through leaves: a temporary file, which is not a candidate
    with open(osp.join(work_dir, '.iter_9.pth.tmp'), 'wb') as file:
        file.write(data[:100])
    truncate(osp.join(work_dir, 'iter_6.pth'))

    cfg = run_config(toy_data_root, work_dir)
    with pytest.warns(UserWarning, match=f'cannot resume from {work_dir}/iter_6.pth'):
        resolve_resume(cfg, 'auto')
    assert cfg.resume and cfg.load_from == osp.join(work_dir, 'iter_3.pth')
    Runner.from_cfg(cfg).train()  # steps 4 to 6 again, from the checkpoint of step 3

    resumed = load_checkpoint_file(osp.join(work_dir, 'iter_6.pth'))
    assert resumed['meta']['iter'] == 6
    assert max_difference(tensors(reference['state_dict']), tensors(resumed['state_dict'])) == 0
    assert max_difference(tensors(reference['optimizer']), tensors(resumed['optimizer'])) == 0


def test_no_complete_checkpoint_stops_with_the_files_named(saved_run, tmp_path):
    source, _ = saved_run
    for name in ('iter_3.pth', 'iter_6.pth'):
        with open(osp.join(source, name), 'rb') as file:
            (tmp_path / name).write_bytes(file.read())
        truncate(str(tmp_path / name))
    (tmp_path / 'last_checkpoint').write_text('')  # a pointer cut short as well
    with pytest.warns(UserWarning, match='cannot resume from'):
        with pytest.raises(NoCompleteCheckpointError) as error:
            find_resume_checkpoint(str(tmp_path))
    message = str(error.value)
    assert f'{tmp_path}/iter_3.pth' in message and f'{tmp_path}/iter_6.pth' in message
    assert '--resume PATH' in message and 'start from scratch' in message


def test_an_empty_work_dir_starts_from_scratch(tmp_path):
    assert find_resume_checkpoint(str(tmp_path)) is None
    (tmp_path / 'last_checkpoint').write_text(str(tmp_path / 'iter_3.pth'))  # deleted since
    with pytest.warns(UserWarning, match=f'names {tmp_path}/iter_3.pth, which does not exist'):
        assert find_resume_checkpoint(str(tmp_path)) is None


class FullDiskFrom(Hook):
    """From the save of ``step`` on, checkpoint writes fail with ENOSPC half-way through."""

    def __init__(self, step: int, monkeypatch) -> None:
        self.step = step
        self.monkeypatch = monkeypatch

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        if checkpoint['meta']['iter'] < self.step:
            return
        write_all = atomic_io._write_all

        def half_then_full(fd: int, data: bytes) -> None:
            write_all(fd, data[:len(data) // 2])
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

        self.monkeypatch.setattr(atomic_io, '_write_all', half_then_full)


def test_a_full_disk_names_path_and_bytes_and_keeps_the_previous_checkpoint(
        toy_data_root, tmp_path, monkeypatch):
    work_dir = str(tmp_path / 'full')
    cfg = run_config(toy_data_root, work_dir, max_keep_ckpts=1)
    runner = Runner.from_cfg(cfg)
    runner.register_hook(FullDiskFrom(6, monkeypatch))
    with pytest.raises(DiskFullError) as error:
        runner.train()
    message = str(error.value)
    assert f'no space left to write {work_dir}/iter_6.pth' in message
    needed = int(message.split(' bytes needed')[0].split()[-1])
    assert needed > osp.getsize(osp.join(work_dir, 'iter_3.pth')) // 2
    assert error.value.errno == errno.ENOSPC
    # the previous checkpoint is whole and still the one to resume from (max_keep_ckpts=1)
    assert [name for name in os.listdir(work_dir) if 'pth' in name] == ['iter_3.pth']
    assert find_resume_checkpoint(work_dir) == osp.join(work_dir, 'iter_3.pth')
    assert load_checkpoint_file(osp.join(work_dir, 'iter_3.pth'))['meta']['iter'] == 3


@pytest.mark.parametrize('variable', ['TORCHELASTIC_RESTART_COUNT', 'SLURM_RESTART_COUNT'])
def test_a_restart_resumes_from_the_newest_checkpoint_or_starts_as_a_first_start(
        variable, saved_run, tmp_path, monkeypatch):
    work_dir, _ = saved_run
    first = Config(dict(work_dir=work_dir, load_from='weights.pth', resume=False))
    resolve_resume(first, None)  # a first start leaves the config alone
    assert first.resume is False and first.load_from == 'weights.pth'

    monkeypatch.setenv(variable, '1')
    restarted = Config(dict(work_dir=work_dir, load_from='weights.pth', resume=False))
    resolve_resume(restarted, None)
    assert restarted.resume and restarted.load_from == osp.join(work_dir, 'iter_6.pth')
    explicit = Config(dict(work_dir=work_dir, load_from=None, resume=False))
    resolve_resume(explicit, '/elsewhere/iter_3.pth')  # the work dir's newer one wins
    assert explicit.load_from == osp.join(work_dir, 'iter_6.pth')

    empty = Config(dict(work_dir=str(tmp_path), load_from='weights.pth', resume=False))
    resolve_resume(empty, None)  # nothing saved yet: the config's weights, not a resume
    assert empty.resume is False and empty.load_from == 'weights.pth'
    empty_explicit = Config(dict(work_dir=str(tmp_path), load_from=None, resume=False))
    resolve_resume(empty_explicit, '/elsewhere/iter_3.pth')
    assert empty_explicit.resume and empty_explicit.load_from == '/elsewhere/iter_3.pth'
