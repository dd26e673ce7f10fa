"""Files written whole or not at all, and a full disk reported with the bytes it needed.

:func:`atomic_write` writes to a temporary name in the target's folder (``.<name>.tmp``), flushes
and fsyncs it, renames it over the target with ``os.replace`` (atomic on a POSIX file system)
and fsyncs the folder. A process killed, or a machine losing power, in the middle of a write
leaves the previous file (or none) under the target's name, never a part of the new one; a
leftover ``.<name>.tmp`` is the trace of such a write and is overwritten by the next one.

:class:`AtomicLocalBackend` is MMEngine's local storage backend with ``put`` and ``put_text``
made atomic, registered as MMEngine file backend ``'vkd_atomic_local'``; checkpoints saved
through ``backend_args=dict(backend='vkd_atomic_local')`` are written this way
(:class:`vkd_mm.hooks.AtomicCheckpointHook` does so).
"""
import errno
import os
import os.path as osp
import shutil
from pathlib import Path
from typing import Union

from mmengine.fileio import LocalBackend, register_backend

__all__ = ['DiskFullError', 'atomic_write', 'AtomicLocalBackend', 'ATOMIC_BACKEND']

ATOMIC_BACKEND = 'vkd_atomic_local'  # the name AtomicLocalBackend is registered under
_DISK_FULL = (errno.ENOSPC, errno.EDQUOT)


class DiskFullError(OSError):
    """A file did not fit on its disk (or in its quota); the previous file is unchanged."""


def _free_bytes(directory: str) -> Union[int, str]:
    try:
        return shutil.disk_usage(directory).free
    except OSError:
        return 'unknown'


def _write_all(fd: int, data: bytes) -> None:
    """``os.write`` until every byte is written (a write may take fewer)."""
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def _fsync_directory(directory: str) -> None:
    """Make a rename in ``directory`` durable (file systems that refuse it are skipped)."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def atomic_write(path: Union[str, Path], data: bytes) -> None:
    """Write ``data`` to ``path`` so that the file is either the old one or all of the new one.

    Args:
        path (str | Path): the file to write; its folder is created if missing.
        data (bytes): the whole content.

    Raises:
        DiskFullError: the disk (or quota) is full; the message names the path, the bytes
            needed and the bytes free. The temporary file is removed, ``path`` is unchanged.
    """
    path = osp.abspath(str(path))
    directory = osp.dirname(path)
    os.makedirs(directory, exist_ok=True)
    temporary = osp.join(directory, f'.{osp.basename(path)}.tmp')
    try:
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        try:
            _write_all(fd, data)
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(temporary, path)
    except OSError as error:
        if osp.exists(temporary):
            os.remove(temporary)
        if error.errno not in _DISK_FULL:
            raise
        raise DiskFullError(
            error.errno,
            f'no space left to write {path}: {len(data)} bytes needed, {_free_bytes(directory)} '
            f'bytes free in {directory}. {osp.basename(path)} was not written and the files '
            'already there are unchanged; free space (older checkpoints: lower max_keep_ckpts '
            'of the checkpoint hook) or set a work dir on a larger disk, then resume.',
            path) from None
    _fsync_directory(directory)


@register_backend(ATOMIC_BACKEND)
class AtomicLocalBackend(LocalBackend):
    """MMEngine's ``LocalBackend`` whose writes go through :func:`atomic_write`."""

    def put(self, obj: bytes, filepath: Union[str, Path]) -> None:
        atomic_write(filepath, obj)

    def put_text(self, obj: str, filepath: Union[str, Path], encoding: str = 'utf-8') -> None:
        atomic_write(filepath, obj.encode(encoding))
