from .loss_weight_schedule_hook import CosineLossWeightHook, cosine_weight
from .projector_diagnostics_hook import (ProjectorDiagnosticsHook, inner_product_distortion,
                                         projection_matrix_stats)

__all__ = [
    'CosineLossWeightHook', 'cosine_weight', 'ProjectorDiagnosticsHook', 'projection_matrix_stats',
    'inner_product_distortion'
]
