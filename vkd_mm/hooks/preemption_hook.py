"""Save a checkpoint when the job is told to stop (SIGTERM), then exit with a code of its own.

Slurm preempting a job, or a job reaching its time limit, sends SIGTERM and kills the job a
grace period later; Kubernetes and torchrun's agent do the same. :class:`PreemptionHook` catches
SIGTERM during training, lets the current step finish, saves ``iter_<n>.pth`` in the work dir
(atomically, and ``last_checkpoint`` naming it), and ends the process with
:data:`PREEMPTED_EXIT_CODE` (75, ``EX_TEMPFAIL``: try again later), which
``tools/slurm_train.sh`` answers by requeueing the job. A run started again resumes from that
checkpoint and ends bitwise as the run that was never stopped (with
:class:`vkd_mm.engine.ExactResumeHook`).

With several processes the flag is reduced over all ranks after every step (one small
all-reduce), so all of them stop after the same step. Validation and data loading are not cut
short: the flag is read after the next training step.
"""
import os.path as osp
import signal
import threading
import warnings
from typing import Optional

import torch
from mmengine.dist import all_reduce, barrier, get_dist_info, is_main_process
from mmengine.hooks import Hook
from mmengine.logging import print_log

from vkd_mm.registry import HOOKS
from vkd_mm.utils.atomic_io import ATOMIC_BACKEND
from .atomic_checkpoint_hook import point_last_checkpoint

__all__ = ['PreemptionHook', 'PREEMPTED_EXIT_CODE']

PREEMPTED_EXIT_CODE = 75  # sysexits.h EX_TEMPFAIL: the job should be started again


@HOOKS.register_module()
class PreemptionHook(Hook):
    """On SIGTERM: finish the step, save a checkpoint, exit with :data:`PREEMPTED_EXIT_CODE`.

    The handler is installed in ``before_train`` (main thread only) and the previous one is put
    back in ``after_train``.
    """

    # NOTE after CheckpointHook (VERY_LOW), so a periodic checkpoint of the step comes first
    priority = 'LOWEST'

    def __init__(self) -> None:
        self.signalled: Optional[int] = None
        self._previous = None

    def _handle(self, signum: int, frame) -> None:
        self.signalled = signum
        print_log(
            f'received {signal.Signals(signum).name}: saving a checkpoint after this '
            'training step, then stopping',
            logger='current')

    def before_train(self, runner) -> None:
        if threading.current_thread() is not threading.main_thread():
            warnings.warn('PreemptionHook: training runs outside the main thread, where Python '
                          'cannot catch signals; SIGTERM will stop it without a checkpoint')
            return
        self._previous = signal.signal(signal.SIGTERM, self._handle)

    def after_train(self, runner) -> None:
        if self._previous is not None:
            signal.signal(signal.SIGTERM, self._previous)
            self._previous = None

    def _stop_requested(self) -> bool:
        """Whether any rank got the signal (the same answer on every rank)."""
        flag = torch.tensor([0 if self.signalled is None else 1])
        if get_dist_info()[1] > 1:
            all_reduce(flag, op='max')
        return bool(flag.item())

    def after_train_iter(self, runner, batch_idx: int, data_batch=None, outputs=None) -> None:
        if not self._stop_requested():
            return
        step = runner.iter + 1
        filename = f'iter_{step}.pth'
        runner.save_checkpoint(
            runner.work_dir,
            filename,
            meta=dict(epoch=runner.epoch, iter=step),
            by_epoch=False,
            backend_args=dict(backend=ATOMIC_BACKEND))
        if is_main_process():
            path = osp.join(runner.work_dir, filename)
            point_last_checkpoint(runner.work_dir, path)
            runner.logger.info(f'stopped after step {step} on a signal; saved {path}; exiting '
                               f'with code {PREEMPTED_EXIT_CODE} (a requeued Slurm job or a '
                               'torchrun restart resumes from it; otherwise add --resume)')
        barrier()  # no rank exits before the checkpoint is complete
        self.after_train(runner)
        raise SystemExit(PREEMPTED_EXIT_CODE)
