"""Registries that vkd_mm registers its components in, and when its host components register.

vkd_mm registers into MMEngine's root registries. MMDetection, MMPretrain and MMagic build their
registries as children of these roots, and a child that does not know a type name asks its parent,
so ``dict(type='OrthogonalProjector')`` resolves in a config of any of those scopes without a
scope prefix. Host types built from inside a vkd_mm component (a distiller's student, say) are
looked up in the current default scope, as every OpenMMLab config expects.

The code written for one host library lives in ``vkd_mm.hosts.<library>`` (ViDT for MMDetection,
the DeiT parts for MMPretrain, BigGAN and the CIFAR subsets for MMagic) and is not imported by
``import vkd_mm``: importing it imports its library, which takes seconds (MMagic brings diffusers
and transformers). Each host package is instead appended to the import ``locations`` of its
library's registries (every registry ``<library>.registry`` defines), which MMEngine imports
the first time such a registry looks a name up, i.e. when a config of that scope
(``default_scope`` or a ``mmdet.``-style type prefix) is built. A host registry module imported
before vkd_mm gets its locations at once; one imported later gets them right after its import (a
post-import hook, :class:`_PostImportFinder`). Importing the host package itself (``from
vkd_mm.hosts.mmdet import ViDT``) registers its components too.

To add a host (mmseg, say): a folder ``vkd_mm/hosts/mmseg/`` (see :mod:`vkd_mm.hosts`), one row
``('mmseg', 'vkd_mm.hosts.mmseg', ('mmseg', ))`` in :data:`HOST_MODULES`, and
``requirements/mmseg.txt``. Nothing else lists the hosts: the tests and ``tools/setup_env.sh``
(through ``tools/list_hosts.py``, which reads this file without importing it) read
:data:`HOST_MODULES`.
"""
import sys
from importlib import import_module
from importlib.abc import Loader, MetaPathFinder
from importlib.machinery import ModuleSpec
from types import ModuleType
from typing import Callable, Dict, List, Optional, Sequence, Tuple

from mmengine.registry import DATASETS, HOOKS, LOOPS, MODELS, TRANSFORMS, Registry

from vkd_mm.utils.optional import host_installed

__all__ = [
    'MODELS', 'HOOKS', 'LOOPS', 'DATASETS', 'TRANSFORMS', 'HOST_MODULES', 'register_host_modules'
]

# (host scope, the vkd_mm package of that host, the libraries it imports): one row per host, and
# the one list of hosts. A host registers only where all its libraries are installed (MMagic's
# CIFAR subsets take their class names from MMPretrain). NOTE a literal: tools/list_hosts.py
# reads it with ast.literal_eval before torch is installed.
HOST_MODULES: Tuple[Tuple[str, str, Tuple[str, ...]], ...] = (
    ('mmdet', 'vkd_mm.hosts.mmdet', ('mmdet', )),
    ('mmpretrain', 'vkd_mm.hosts.mmpretrain', ('mmpretrain', )),
    ('mmagic', 'vkd_mm.hosts.mmagic', ('mmagic', 'mmpretrain')),
)


class _CallbackLoader(Loader):
    """Runs a module through its own loader, then calls ``callbacks`` with it."""

    def __init__(self, loader: Loader, callbacks: List[Callable[[ModuleType], None]]) -> None:
        self._loader = loader
        self._callbacks = callbacks

    def create_module(self, spec: ModuleSpec) -> Optional[ModuleType]:
        return self._loader.create_module(spec)

    def exec_module(self, module: ModuleType) -> None:
        # NOTE the module keeps its real loader (reload, importlib.resources)
        module.__loader__ = module.__spec__.loader = self._loader
        self._loader.exec_module(module)
        for callback in self._callbacks:
            callback(module)


class _PostImportFinder(MetaPathFinder):
    """A ``sys.meta_path`` entry that finds nothing itself: it wraps the loader of the modules it
    watches so that a callback runs once each of them is imported (PEP 451)."""

    def __init__(self) -> None:
        self._callbacks: Dict[str, List[Callable[[ModuleType], None]]] = {}

    def watch(self, name: str, callback: Callable[[ModuleType], None]) -> None:
        callbacks = self._callbacks.setdefault(name, [])
        if callback not in callbacks:
            callbacks.append(callback)

    def find_spec(self,
                  fullname: str,
                  path: Optional[Sequence[str]],
                  target: Optional[ModuleType] = None) -> Optional[ModuleSpec]:
        if fullname not in self._callbacks:
            return None
        for finder in sys.meta_path:
            if finder is self or not hasattr(finder, 'find_spec'):
                continue
            spec = finder.find_spec(fullname, path, target)
            if spec is not None:
                break
        else:
            return None
        if spec.loader is not None:
            spec.loader = _CallbackLoader(spec.loader, self._callbacks.pop(fullname))
        return spec


_post_import = _PostImportFinder()  # the one watcher of host registry modules


def _host_registries(registry_module: ModuleType) -> List[Registry]:
    """The registries ``<host>.registry`` defines, not the MMEngine roots it imports."""
    scope = registry_module.__name__.split('.')[0]
    return [
        value for value in vars(registry_module).values()
        if isinstance(value, Registry) and value.scope == scope
    ]


def _add_host_locations(registry_module: ModuleType) -> None:
    """Give every registry of ``<host>.registry`` the vkd_mm package of that host, so that the
    first look-up in any of them (a model, a dataset, a transform) registers its components."""
    scope = registry_module.__name__.split('.')[0]
    for host, location, needs in HOST_MODULES:
        if host != scope or not all(host_installed(package) for package in needs):
            continue
        for registry in _host_registries(registry_module):
            if registry._imported:  # its locations are imported already: import ours now
                import_module(location)
            elif location not in registry._locations:
                registry._locations.append(location)


def register_host_modules() -> None:
    """Make each installed host's registries import vkd_mm's package for that host on first use.

    Called once by ``import vkd_mm``; imports no host library.
    """
    if _post_import not in sys.meta_path:
        sys.meta_path.insert(0, _post_import)
    for host in sorted({row[0] for row in HOST_MODULES}):
        if not host_installed(host):
            continue
        registry_module = f'{host}.registry'
        if registry_module in sys.modules:
            _add_host_locations(sys.modules[registry_module])
        else:
            _post_import.watch(registry_module, _add_host_locations)
