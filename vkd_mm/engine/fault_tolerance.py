"""Start again after a fault: resume from the newest complete checkpoint of the work dir.

A restarted run is one that torchrun started again after a worker died
(``TORCHELASTIC_RESTART_COUNT`` > 0, ``tools/dist_train.sh`` with ``MAX_RESTARTS``) or that
Slurm requeued (``SLURM_RESTART_COUNT`` > 0, ``tools/slurm_train.sh``). Such a run, and one
started with ``--resume`` and no path, resumes from :func:`find_resume_checkpoint`'s answer, or
starts as a first start does when the work dir has no checkpoint yet.

:func:`find_resume_checkpoint` does not take ``last_checkpoint`` on trust: the checkpoint it
names is checked whole (every member of the zip archive against its CRC-32, without unpickling
it); if it is unreadable, cut short or missing, a warning says so, names it, and the next
newest ``epoch_<n>.pth`` / ``iter_<n>.pth`` is tried. When every one is unreadable it stops
with :class:`NoCompleteCheckpointError` instead of starting from scratch over them.
"""
import os
import os.path as osp
import re
import warnings
import zipfile
from typing import List, Optional

from mmengine.config import Config
from mmengine.logging import print_log

from vkd_mm.utils import NotACheckpointError, load_checkpoint_file

__all__ = [
    'NoCompleteCheckpointError', 'restart_count', 'check_checkpoint_complete',
    'find_resume_checkpoint', 'resolve_resume', 'enable_fault_tolerance'
]

_RESTART_VARIABLES = ('TORCHELASTIC_RESTART_COUNT', 'SLURM_RESTART_COUNT')
_CHECKPOINT_NAME = re.compile(r'(epoch|iter)_\d+\.pth')  # CheckpointHook's default names


class NoCompleteCheckpointError(RuntimeError):
    """The work dir has checkpoints, and none of them can be read."""


def restart_count() -> int:
    """How often torchrun or Slurm has started this run again (0 on the first start)."""
    return max(int(os.environ.get(name) or 0) for name in _RESTART_VARIABLES)


def check_checkpoint_complete(path: str) -> None:
    """Raise :class:`NotACheckpointError` naming ``path`` unless it is a whole checkpoint.

    A torch zip archive is read through and each member checked against its CRC-32 (nothing is
    unpickled); a legacy pickle is loaded.
    """
    if not zipfile.is_zipfile(path):
        load_checkpoint_file(path, map_location='cpu')  # raises for a truncated file
        return
    try:
        with zipfile.ZipFile(path) as archive:
            damaged = archive.testzip()
    except (zipfile.BadZipFile, OSError, EOFError) as error:
        raise NotACheckpointError(f'{path} is not a readable checkpoint: {error}') from None
    if damaged is not None:
        raise NotACheckpointError(f'{path} is damaged: its member {damaged} fails its CRC check')


def _candidates(work_dir: str) -> List[str]:
    """The checkpoints to try, newest first: ``last_checkpoint``'s, then the others by time."""
    named = None
    pointer = osp.join(work_dir, 'last_checkpoint')
    if osp.isfile(pointer):
        with open(pointer) as file:
            named = file.read().strip() or None
    folder = osp.dirname(named) if named else work_dir
    found = [
        osp.join(folder, name) for name in os.listdir(folder) if _CHECKPOINT_NAME.fullmatch(name)
    ] if osp.isdir(folder) else []
    found.sort(key=lambda path: (osp.getmtime(path), path), reverse=True)
    return ([named] if named else []) + [path for path in found if path != named]


def find_resume_checkpoint(work_dir: str) -> Optional[str]:
    """The newest complete checkpoint of a work dir, or None when it has no checkpoint.

    Raises:
        NoCompleteCheckpointError: there are checkpoints and none is complete; the message
            names each and what to do.
    """
    unreadable = []
    for path in _candidates(work_dir):
        if not osp.isfile(path):
            warnings.warn(f'last_checkpoint names {path}, which does not exist')
            continue
        try:
            check_checkpoint_complete(path)
        except NotACheckpointError as error:
            warnings.warn(f'cannot resume from {path}: {error}')
            unreadable.append(path)
            continue
        if unreadable:
            warnings.warn(f'resuming from {path}, the newest complete checkpoint, instead of '
                          f'{unreadable[0]}')
        return path
    if unreadable:
        raise NoCompleteCheckpointError(
            f'no complete checkpoint to resume from in {work_dir}: '
            f'{", ".join(unreadable)} cannot be read (cut short while written, or damaged). '
            'Resume from a good copy with --resume PATH, or move these files away to start '
            'from scratch.')
    return None


def resolve_resume(cfg: Config, requested: Optional[str]) -> None:
    """Set ``cfg.resume`` and ``cfg.load_from`` for ``tools/train.py``.

    Args:
        cfg (Config): the run config (its ``work_dir`` is set).
        requested (str, optional): ``--resume``: None, ``'auto'`` (newest in the work dir) or
            a checkpoint path. A restarted run (:func:`restart_count`) resumes from the newest
            complete checkpoint of the work dir, else from ``requested``, else starts as a
            first start does (loading the config's ``load_from``, if any).
    """
    restarts = restart_count()
    if requested is None and not restarts:
        return
    newest = find_resume_checkpoint(cfg.work_dir) if requested == 'auto' or restarts else None
    if newest is None and requested not in (None, 'auto'):
        newest = requested
    cfg.resume = newest is not None
    if newest is not None:  # else a first start: a config's load_from (weights) still loads
        cfg.load_from = newest
    if restarts:
        print_log(
            f'restart {restarts}: ' +
            (f'resuming from {newest}' if newest else 'no checkpoint yet, training from scratch'),
            logger='current')


def enable_fault_tolerance(cfg: Config) -> None:
    """Atomic checkpoints and a checkpoint on SIGTERM for a run config.

    Puts :class:`vkd_mm.hooks.AtomicCheckpointHook` in place of MMEngine's ``CheckpointHook``
    and adds :class:`vkd_mm.hooks.PreemptionHook`. Leaves a config alone whose
    ``fault_tolerance`` is False, or that has no training.
    """
    if not cfg.get('fault_tolerance', True) or cfg.get('train_cfg') is None:
        return
    checkpoint = (cfg.get('default_hooks') or {}).get('checkpoint')
    if checkpoint is not None and checkpoint.get('type') in ('CheckpointHook',
                                                             'mmengine.CheckpointHook'):
        checkpoint.type = 'AtomicCheckpointHook'
    hooks = list(cfg.get('custom_hooks', None) or [])
    if not any(hook.get('type') == 'PreemptionHook' for hook in hooks):
        hooks.append(dict(type='PreemptionHook'))
    cfg.custom_hooks = hooks
