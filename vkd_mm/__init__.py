"""vkd_mm: V_kD and WKD knowledge distillation for MMDetection, MMPretrain and MMagic.

Importing the package registers its components in MMEngine's root registries (so configs of
every OpenMMLab scope find them by bare type name), imports no host library (the components of
MMDetection, MMPretrain or MMagic register when a config of that scope is built: see
:mod:`vkd_mm.registry`), registers the MMEngine file backend ``vkd_atomic_local`` (atomic
writes, :mod:`vkd_mm.utils.atomic_io`) and changes no other global state: how checkpoints load
is a policy that ``tools/train.py`` and ``tools/test.py`` install
(:func:`vkd_mm.utils.use_checkpoint_policy`).
"""
from .datasets import CheckedLoadImageFromFile
from .engine import CategoryCostLoop
from .hooks import CosineLossWeightHook, ProjectorDiagnosticsHook
from .models import (BatchSampleWhiten, BatchStandardize, BatchWhiten, ConvBottleneckProjector,
                     KLDivergenceLoss, LinearProjector, MLPProjector, OrthogonalProjector,
                     ProjectorEnsemble, RunningWhiten, SampleLayerNorm, VkDDistiller, VkDLoss,
                     WKDFeatureLoss, WKDLogitLoss)
from .registry import register_host_modules
from .version import __version__

register_host_modules()

__all__ = [
    '__version__', 'OrthogonalProjector', 'LinearProjector', 'MLPProjector', 'ProjectorEnsemble',
    'SampleLayerNorm', 'BatchStandardize', 'BatchWhiten', 'BatchSampleWhiten', 'RunningWhiten',
    'VkDLoss', 'VkDDistiller', 'ProjectorDiagnosticsHook', 'CosineLossWeightHook',
    'CategoryCostLoop', 'WKDLogitLoss', 'WKDFeatureLoss', 'KLDivergenceLoss',
    'ConvBottleneckProjector', 'CheckedLoadImageFromFile'
]
