"""Registries that vkd_mm registers its components in, and when its host components register.

vkd_mm registers into MMEngine's root registries. MMDetection, MMPretrain and MMagic build their
registries as children of these roots, and a child that does not know a type name asks its parent,
so ``dict(type='OrthogonalProjector')`` resolves in a config of any of those scopes without a
scope prefix. Host types built from inside a vkd_mm component (a distiller's student, say) are
looked up in the current default scope, as every OpenMMLab config expects.

Components written for one host library (ViDT for MMDetection, the DeiT parts for MMPretrain,
BigGAN and the CIFAR subsets for MMagic) are not imported by ``import vkd_mm``: importing one
imports its library, which takes seconds (MMagic brings diffusers and transformers). Each is
instead appended to the import ``locations`` of its host's registry, which MMEngine imports the
first time that registry looks a name up, i.e. when a config of that scope (``default_scope``
or a ``mmdet.``-style type prefix) is built. A host registry module imported before vkd_mm gets
its locations at once; one imported later gets them right after its import (a post-import hook,
:class:`_PostImportFinder`). Importing the component's own module (``from vkd_mm.models import
ViDT``) registers it too.
"""
import sys
from importlib import import_module
from importlib.abc import Loader, MetaPathFinder
from importlib.machinery import ModuleSpec
from types import ModuleType
from typing import Callable, Dict, List, Optional, Sequence, Tuple

from mmengine.registry import DATASETS, HOOKS, LOOPS, MODELS

from vkd_mm.utils.optional import host_installed

__all__ = ['MODELS', 'HOOKS', 'LOOPS', 'DATASETS', 'HOST_MODULES', 'register_host_modules']

# (host scope, registry in ``<host>.registry``, vkd_mm module that registers into it, the
# libraries the module imports). A new host component is one row here.
HOST_MODULES: Tuple[Tuple[str, str, str, Tuple[str, ...]], ...] = (
    ('mmdet', 'MODELS', 'vkd_mm.models.backbones.vidt_swin', ('mmdet', )),
    ('mmdet', 'MODELS', 'vkd_mm.models.detectors', ('mmdet', )),
    ('mmpretrain', 'MODELS', 'vkd_mm.models.backbones.conv_stem_deit', ('mmpretrain', )),
    ('mmpretrain', 'MODELS', 'vkd_mm.models.heads', ('mmpretrain', )),
    ('mmpretrain', 'DATASETS', 'vkd_mm.datasets.fashion_mnist', ('mmpretrain', )),
    ('mmagic', 'MODELS', 'vkd_mm.models.gans', ('mmagic', )),
    ('mmagic', 'DATASETS', 'vkd_mm.datasets.cifar', ('mmagic', 'mmpretrain')),
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


def _add_host_locations(registry_module: ModuleType) -> None:
    """Give the registries of ``<host>.registry`` the vkd_mm modules of that host."""
    scope = registry_module.__name__.split('.')[0]
    for host, name, location, needs in HOST_MODULES:
        if host != scope or not all(host_installed(package) for package in needs):
            continue
        registry = getattr(registry_module, name)
        if registry._imported:  # its locations are imported already: import ours now
            import_module(location)
        elif location not in registry._locations:
            registry._locations.append(location)


def register_host_modules() -> None:
    """Make each installed host's registries import vkd_mm's modules for that host on first use.

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
