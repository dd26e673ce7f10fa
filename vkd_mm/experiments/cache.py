"""A cache of trained teachers, keyed by what a teacher depends on.

The key hashes the resolved config text (``Config.pretty_text`` after every override), the data
files, the ``vkd_mm`` package's Python sources and any extra settings the caller names (e.g.
the environment variables that choose the CPU kernels). The package's sources stand for "the
code": a teacher trained before any edit of ``vkd_mm`` is not reused after it, even an edit
that cannot change it, which errs on the side of retraining; the host libraries' versions are
not part of the key.
"""
import argparse
import glob
import hashlib
import json
import os
import os.path as osp
from typing import Callable, Iterable, Optional, Sequence

from mmengine.config import Config, DictAction

from vkd_mm.utils.atomic_io import atomic_write

__all__ = ['files_hash', 'code_hash', 'resolved_config_text', 'teacher_key', 'TeacherCache']

_PACKAGE = osp.dirname(osp.dirname(osp.abspath(__file__)))
RECORD = 'teacher.json'


def files_hash(paths: Iterable[str]) -> str:
    """SHA-256 of the files' contents in the order given; a folder counts as every file under
    it, in sorted order, each with its path relative to the folder."""
    digest = hashlib.sha256()
    for path in paths:
        if osp.isdir(path):
            for root, dirs, names in os.walk(path):
                dirs.sort()
                for name in sorted(names):
                    file = osp.join(root, name)
                    digest.update(osp.relpath(file, path).encode())
                    _update(digest, file)
        else:
            _update(digest, path)
    return digest.hexdigest()


def _update(digest, path: str) -> None:
    with open(path, 'rb') as file:
        for block in iter(lambda: file.read(1 << 20), b''):
            digest.update(block)


def code_hash(package: Optional[str] = None) -> str:
    """SHA-256 of the ``.py`` files (paths and contents) under ``package``, by default the
    ``vkd_mm`` package imported (hidden folders such as ``.mim`` excepted)."""
    package = package or _PACKAGE
    paths = sorted(glob.glob(osp.join(package, '**', '*.py'), recursive=True))
    digest = hashlib.sha256()
    for path in paths:
        digest.update(osp.relpath(path, package).encode())
        _update(digest, path)
    return digest.hexdigest()


def resolved_config_text(config: str, options: Sequence[str] = ()) -> str:
    """``Config.pretty_text`` of ``config`` after ``--cfg-options``-style ``options``
    (``['train_cfg.max_epochs=4', ...]``), as tools/train.py would apply them."""
    parser = argparse.ArgumentParser()
    parser.add_argument('--cfg-options', nargs='+', action=DictAction, default={})
    cfg = Config.fromfile(config)
    if options:
        cfg.merge_from_dict(parser.parse_args(['--cfg-options', *options]).cfg_options)
    return cfg.pretty_text


def teacher_key(config_text: str, data_files: Iterable[str], extra: Optional[dict] = None) -> str:
    """16 hex digits of SHA-256 over the config text, :func:`files_hash` of ``data_files``,
    :func:`code_hash` and ``extra`` (JSON, sorted keys)."""
    digest = hashlib.sha256()
    for part in (config_text, files_hash(data_files), code_hash(),
                 json.dumps(extra or {}, sort_keys=True)):
        digest.update(part.encode())
        digest.update(b'\0')
    return digest.hexdigest()[:16]


class TeacherCache:
    """Trained teachers under ``root/<key>/``, each with a ``teacher.json`` record.

    The record is written after training, so a run that died midway leaves no record and the
    next call trains again.
    """

    def __init__(self, root: str) -> None:
        self.root = root

    def directory(self, key: str) -> str:
        return osp.join(self.root, key)

    def get(self, key: str) -> Optional[dict]:
        """The record of the teacher cached under ``key``; None when there is none or its
        checkpoint is gone."""
        path = osp.join(self.directory(key), RECORD)
        if not osp.isfile(path):
            return None
        with open(path) as file:
            record = json.load(file)
        return record if osp.isfile(record['checkpoint']) else None

    def fetch(self, key: str, train: Callable[[str], dict]) -> dict:
        """The cached teacher of ``key``, or ``train(directory)``'s, stored first.

        ``train`` trains into the directory it is given and returns the record: a JSON-able dict
        with ``'checkpoint'`` (the path of the trained weights) and whatever else the caller
        keeps. The returned record has ``'cached'`` True when nothing was trained.

        Raises:
            FileNotFoundError: ``train`` returned a checkpoint that does not exist.
        """
        record = self.get(key)
        if record is not None:
            return dict(record, cached=True)
        directory = self.directory(key)
        os.makedirs(directory, exist_ok=True)
        record = train(directory)
        if not osp.isfile(record.get('checkpoint', '')):
            raise FileNotFoundError(
                f'the teacher trained into {directory} has no checkpoint at '
                f'{record.get("checkpoint")!r}; the train function must return the path of '
                'the weights it wrote as record["checkpoint"]')
        atomic_write(osp.join(directory, RECORD), json.dumps(record, indent=1).encode())
        return dict(record, cached=False)
