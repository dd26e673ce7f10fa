"""MMEngine's ``CheckpointHook`` with checkpoints that are never torn and never all deleted.

Two changes for a local ``out_dir`` (other storage keeps MMEngine's behaviour):

- every checkpoint and ``last_checkpoint`` are written atomically
  (:func:`vkd_mm.utils.atomic_write`: a temporary name, fsync, rename), so a run killed while
  saving leaves the previous files, never a part of a new one;
- an old checkpoint beyond ``max_keep_ckpts`` is deleted after the new one is complete and
  ``last_checkpoint`` names it (MMEngine deletes first, so a save that fails, on a full disk
  say, can leave no checkpoint at all with ``max_keep_ckpts=1``). The disk needs room for one
  checkpoint more than ``max_keep_ckpts`` while the new one is written.

``tools/train.py`` puts it in place of a config's ``CheckpointHook``
(:func:`vkd_mm.engine.enable_fault_tolerance`); a config may also name it directly.
"""
import os
import os.path as osp
from typing import List

from mmengine.dist import is_main_process
from mmengine.hooks import CheckpointHook

from vkd_mm.registry import HOOKS
from vkd_mm.utils.atomic_io import ATOMIC_BACKEND, atomic_write

__all__ = ['AtomicCheckpointHook', 'point_last_checkpoint']


def point_last_checkpoint(work_dir: str, checkpoint: str) -> None:
    """Atomically write ``work_dir/last_checkpoint``, the file resume reads, naming a checkpoint."""
    atomic_write(osp.join(work_dir, 'last_checkpoint'), checkpoint.encode())


@HOOKS.register_module()
class AtomicCheckpointHook(CheckpointHook):
    """``CheckpointHook`` (same arguments) that writes atomically and prunes after saving."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        local = self.out_dir is None or '://' not in str(self.out_dir)
        self.atomic = local and self.backend_args is None and self.file_client_args is None
        if self.atomic:
            self.backend_args = dict(backend=ATOMIC_BACKEND)

    def _track(self, runner, step: int) -> List[int]:
        """Add ``step`` to the kept checkpoints (as MMEngine does); the steps to delete."""
        if self.max_keep_ckpts <= 0 or (self.keep_ckpt_ids and self.keep_ckpt_ids[-1] == step):
            return []
        dropped = []
        if len(self.keep_ckpt_ids) == self.max_keep_ckpts:
            dropped.append(self.keep_ckpt_ids.popleft())
        self.keep_ckpt_ids.append(step)
        runner.message_hub.update_info('keep_ckpt_ids', list(self.keep_ckpt_ids))
        return dropped

    def _save_checkpoint_with_step(self, runner, step: int, meta: dict) -> None:
        if not self.atomic:
            super()._save_checkpoint_with_step(runner, step, meta)
            return
        dropped = self._track(runner, step)
        filename = self.filename_tmpl.format(step)
        self.last_ckpt = self.file_backend.join_path(self.out_dir, filename)
        runner.message_hub.update_info('last_ckpt', self.last_ckpt)
        runner.save_checkpoint(
            self.out_dir,
            filename,
            save_optimizer=self.save_optimizer,
            save_param_scheduler=self.save_param_scheduler,
            meta=meta,
            by_epoch=self.by_epoch,
            backend_args=self.backend_args,
            **self.args)
        if not is_main_process():
            return
        point_last_checkpoint(runner.work_dir, self.last_ckpt)
        for old in dropped:
            path = osp.join(self.out_dir, self.filename_tmpl.format(old))
            if osp.isfile(path):
                os.remove(path)
