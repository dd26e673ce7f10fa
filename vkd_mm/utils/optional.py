"""Host libraries are optional, and imported only when used.

vkd_mm itself needs only torch and mmengine: the projectors, normalisers, losses, the distiller
and the hooks work with any MMEngine model. The components written for one host library (ViDT
for MMDetection, the DeiT parts for MMPretrain, BigGAN for MMagic) are imported when first asked
for (:func:`lazy_host_getattr`, or a config of the host's scope: see :mod:`vkd_mm.registry`), so
``import vkd_mm`` imports none of those libraries. Asking for one whose library is missing raises
an ImportError that names the library and its requirements file.
"""
import sys
from importlib import import_module
from importlib.util import find_spec
from typing import Any, Callable, Dict, Tuple

__all__ = [
    'HOST_LIBRARIES', 'host_installed', 'missing_host_error', 'host_component_getattr',
    'lazy_host_getattr'
]

HOST_LIBRARIES = {'mmdet': 'MMDetection', 'mmpretrain': 'MMPretrain', 'mmagic': 'MMagic'}


def host_installed(package: str) -> bool:
    """Whether a host library (``'mmdet'``, ``'mmpretrain'`` or ``'mmagic'``) is installed.

    A library that is installed but fails to import is reported by its own import error.
    """
    return find_spec(package) is not None


def missing_host_error(name: str, packages: Tuple[str, ...]) -> ImportError:
    """The error for asking for ``name`` when one of ``packages`` is not installed."""
    missing = [package for package in packages if not host_installed(package)]
    needs = ' and '.join(f'{HOST_LIBRARIES[package]} ({package})' for package in missing)
    files = ' '.join(f'-r requirements/{package}.txt' for package in missing)
    return ImportError(f'{name} needs {needs}, which is not installed; install it with '
                       f'pip install -c requirements/constraints.txt {files}')


def host_component_getattr(module: str,
                           components: Dict[str, Tuple[str, ...]]) -> Callable[[str], None]:
    """A module ``__getattr__`` that explains the host-library components that were skipped.

    Args:
        module (str): the module's ``__name__``.
        components (dict): component name -> the host libraries it needs.
    """

    def __getattr__(name: str):
        if name in components:
            raise missing_host_error(name, components[name])
        raise AttributeError(f'module {module!r} has no attribute {name!r}')

    return __getattr__


def lazy_host_getattr(module: str,
                      components: Dict[str, Tuple[str, Tuple[str, ...]]]) -> Callable[[str], Any]:
    """A module ``__getattr__`` (PEP 562) that imports host-library components on first access.

    Args:
        module (str): the module's ``__name__``.
        components (dict): component name -> (the module that defines it, relative to
            ``module`` or absolute; the host libraries it needs).
    """

    def __getattr__(name: str) -> Any:
        if name not in components:
            raise AttributeError(f'module {module!r} has no attribute {name!r}')
        where, needs = components[name]
        if not all(host_installed(package) for package in needs):
            raise missing_host_error(name, needs)
        value = getattr(import_module(where, module), name)
        setattr(sys.modules[module], name, value)  # later look-ups skip this function
        return value

    return __getattr__
