"""Config loading that accepts package configs (``'mmpretrain::resnet/resnet50_8xb32_in1k.py'``)."""
from mmengine.config import Config
from mmengine.hub import get_config

__all__ = ['load_config']


def load_config(path: str) -> Config:
    """A config from a file path, or from a package's shipped configs with ``pkg::rel/path``."""
    return get_config(path) if '::' in path else Config.fromfile(path)
