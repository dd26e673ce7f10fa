"""Host libraries are optional, and imported only when used.

vkd_mm itself needs only torch and mmengine: the projectors, normalisers, losses, the distiller
and the hooks work with any MMEngine model. The code written for one host library
(``vkd_mm.hosts.<library>``: ViDT for MMDetection, the DeiT parts for MMPretrain, BigGAN for
MMagic) is imported when a config of the host's scope is built (see :mod:`vkd_mm.registry`) or
when it is imported itself, so ``import vkd_mm`` imports none of those libraries. Importing a host
package whose library is missing raises an ImportError that names the library and its
requirements file.
"""
from importlib.util import find_spec
from typing import Tuple

__all__ = ['HOST_LIBRARIES', 'host_installed', 'missing_host_error']

# display names of the host libraries; a library not listed is named by its package
HOST_LIBRARIES = {'mmdet': 'MMDetection', 'mmpretrain': 'MMPretrain', 'mmagic': 'MMagic'}


def host_installed(package: str) -> bool:
    """Whether a host library (``'mmdet'``, ``'mmpretrain'`` or ``'mmagic'``) is installed.

    A library that is installed but fails to import is reported by its own import error.
    """
    return find_spec(package) is not None


def missing_host_error(name: str, packages: Tuple[str, ...]) -> ImportError:
    """The error for asking for ``name`` when one of ``packages`` is not installed."""
    missing = [package for package in packages if not host_installed(package)]
    needs = ' and '.join(f'{HOST_LIBRARIES.get(package, package)} ({package})'
                         for package in missing)
    files = ' '.join(f'-r requirements/{package}.txt' for package in missing)
    return ImportError(f'{name} needs {needs}, which is not installed; install it with '
                       f'pip install -c requirements/constraints.txt {files}')
