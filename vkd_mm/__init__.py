"""vkd_mm: V_kD and WKD knowledge distillation for MMDetection, MMPretrain and MMagic.

Importing the package registers its components in MMEngine's root registries (so configs of
every OpenMMLab scope find them by bare type name), imports no host library (the components of
MMDetection, MMPretrain or MMagic register when a config of that scope is built: see
:mod:`vkd_mm.registry`) and makes mmengine load local checkpoints
with the installed torch (see :mod:`vkd_mm.utils.checkpoint`).
"""
from .engine import CategoryCostLoop
from .hooks import CosineLossWeightHook, ProjectorDiagnosticsHook
from .models import (BatchStandardize, BatchWhiten, ConvBottleneckProjector, KLDivergenceLoss,
                     LinearProjector, MLPProjector, OrthogonalProjector, ProjectorEnsemble,
                     RunningWhiten, SampleLayerNorm, VkDDistiller, VkDLoss, WKDFeatureLoss,
                     WKDLogitLoss)
from .registry import register_host_modules
from .utils import register_trusted_local_loader
from .version import __version__

register_host_modules()
register_trusted_local_loader()

__all__ = [
    '__version__', 'OrthogonalProjector', 'LinearProjector', 'MLPProjector', 'ProjectorEnsemble',
    'SampleLayerNorm', 'BatchStandardize', 'BatchWhiten', 'RunningWhiten', 'VkDLoss',
    'VkDDistiller', 'ProjectorDiagnosticsHook', 'CosineLossWeightHook', 'CategoryCostLoop',
    'WKDLogitLoss', 'WKDFeatureLoss', 'KLDivergenceLoss', 'ConvBottleneckProjector'
]
