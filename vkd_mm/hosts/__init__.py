"""Code written for one host library each: ``vkd_mm.hosts.<library>`` (mmdet, mmpretrain, mmagic).

``import vkd_mm`` imports none of these packages: each registers its components when a config of
its library's scope is built, or when it is imported (``from vkd_mm.hosts.mmdet import ViDT``);
see :mod:`vkd_mm.registry`. Importing one whose libraries are missing raises an ImportError that
names them and their requirements files.

To add a host (mmseg, say):

1. a folder ``vkd_mm/hosts/mmseg/`` whose ``__init__.py`` calls
   ``require_host_libraries(__name__)`` first, then imports its modules (each registers into
   a registry of :mod:`vkd_mm.registry` or MMEngine's, e.g. MODELS, DATASETS or TRANSFORMS);
2. one row in :data:`vkd_mm.registry.HOST_MODULES`:
   ``('mmseg', 'vkd_mm.hosts.mmseg', ('mmseg', ))``;
3. ``requirements/mmseg.txt``, which the ImportError names.
"""
from vkd_mm.registry import HOST_MODULES
from vkd_mm.utils.optional import host_installed, missing_host_error

__all__ = ['require_host_libraries']


def require_host_libraries(package: str) -> None:
    """Raise the ImportError that names the missing libraries if ``package`` (a host package's
    ``__name__``) cannot be imported: the libraries are those of its row in ``HOST_MODULES``."""
    for _, module, needs in HOST_MODULES:
        if module == package and not all(host_installed(library) for library in needs):
            raise missing_host_error(package, needs)
