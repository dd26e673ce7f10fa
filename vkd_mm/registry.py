"""Registries that vkd_mm registers its components in.

vkd_mm registers into MMEngine's root registries. MMDetection, MMPretrain and MMagic build their
registries as children of these roots, and a child that does not know a type name asks its parent,
so ``dict(type='OrthogonalProjector')`` resolves in a config of any of those scopes without a
scope prefix. Host types built from inside a vkd_mm component (a distiller's student, say) are
looked up in the current default scope, as every OpenMMLab config expects.
"""
from mmengine.registry import DATASETS, HOOKS, LOOPS, MODELS

__all__ = ['MODELS', 'HOOKS', 'LOOPS', 'DATASETS']
