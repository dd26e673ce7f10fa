"""Finished runs stored in one JSON file that several invocations on a work dir share, run
claims so that they do not train the same run twice, and a lock to take turns with other heavy
jobs on a shared machine."""
import fcntl
import json
import os
import os.path as osp
import time
from typing import Optional

from vkd_mm.utils.atomic_io import atomic_write

__all__ = ['store_result', 'claim_run', 'CpuLock']


def store_result(path: str, key: Optional[str] = None, record: Optional[dict] = None) -> dict:
    """The records stored in ``path``, after adding ``record`` under ``key`` when given. The
    file is read and replaced under an flock, so several invocations can share a work dir."""
    with open(path + '.lock', 'a') as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        results = {}
        if osp.isfile(path):
            with open(path) as f:
                results = json.load(f)
        if key is not None:
            results[key] = record
            atomic_write(path, json.dumps(results, indent=1).encode())
        return results


def claim_run(path: str) -> bool:
    """Claim a run for this process: True unless a live process holds ``path`` already (an
    invocation running beside this one trains it)."""
    with open(osp.join(osp.dirname(path), 'claims.lock'), 'a') as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            with open(path) as f:
                owner = int(f.read() or 0)
            if owner != os.getpid():
                os.kill(owner, 0)
                return False
        except (OSError, ValueError):
            pass  # no claim, or its process is gone: take it over
        with open(path, 'w') as f:
            f.write(str(os.getpid()))
        return True


class CpuLock:
    """An exclusive flock on ``path`` (when given) held for each ``with`` block, so that a
    shared machine's other heavy jobs take turns with each training run; ``waited`` counts the
    seconds spent waiting for it."""

    def __init__(self, path: Optional[str]) -> None:
        self.path = path
        self.waited = 0.0
        self._handle = None

    def __enter__(self) -> 'CpuLock':
        if self.path:
            self._handle = open(self.path, 'a')
            start = time.perf_counter()
            fcntl.flock(self._handle, fcntl.LOCK_EX)
            self.waited += time.perf_counter() - start
        return self

    def __exit__(self, *exc) -> None:
        if self._handle is not None:
            fcntl.flock(self._handle, fcntl.LOCK_UN)
            self._handle.close()
            self._handle = None
