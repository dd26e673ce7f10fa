"""Config loading that accepts package configs (``'mmpretrain::resnet/resnet50_8xb32_in1k.py'``)."""
import os.path as osp
from typing import Optional

from mmengine.config import Config
from mmengine.hub import get_config

from .launch import prepare_distributed

__all__ = ['load_config', 'load_run_config']


def load_config(path: str) -> Config:
    """A config from a file path, or from a package's shipped configs with ``pkg::rel/path``."""
    return get_config(path) if '::' in path else Config.fromfile(path)


def load_run_config(path: str,
                    cfg_options: Optional[dict] = None,
                    launcher: str = 'none',
                    work_dir: Optional[str] = None) -> Config:
    """The config of a train or test run, as the tools build it.

    Applies ``--cfg-options``, prepares a torchrun launch (see :func:`prepare_distributed`) and
    sets the work dir: ``work_dir`` if given, else the config's, else
    ``./work_dirs/<config name>``.
    """
    cfg = load_config(path)
    if cfg_options is not None:
        cfg.merge_from_dict(cfg_options)
    prepare_distributed(cfg, launcher)
    if work_dir is not None:
        cfg.work_dir = work_dir
    elif cfg.get('work_dir') is None:
        cfg.work_dir = osp.join('./work_dirs', osp.splitext(osp.basename(path))[0])
    return cfg
