"""Where the project's configs and tools are: the checkout, or ``vkd_mm/.mim`` when installed."""
import os.path as osp

__all__ = ['project_root']

_PACKAGE = osp.dirname(osp.dirname(osp.abspath(__file__)))


def project_root() -> str:
    """The folder holding ``configs/`` and ``tools/``: the checkout the package is imported from,
    else the copy a non-editable install ships in ``vkd_mm/.mim``."""
    for root in (osp.dirname(_PACKAGE), osp.join(_PACKAGE, '.mim')):
        if osp.isfile(osp.join(root, 'tools', 'train.py')):
            return root
    raise FileNotFoundError(
        f'neither {osp.dirname(_PACKAGE)} nor {osp.join(_PACKAGE, ".mim")} holds tools/train.py; '
        'run from a checkout of vkd_mm or install it with `pip install .` (which ships configs '
        'and tools in vkd_mm/.mim)')
