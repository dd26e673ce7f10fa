from .loss_weight_schedule_hook import CosineLossWeightHook, cosine_weight
from .projector_diagnostics_hook import (ProjectorDiagnosticsHook, inner_product_distortion,
                                         plot_diagnostics, projection_matrix_stats)
from .teacher_eval_hook import TeacherEvalHook

__all__ = [
    'CosineLossWeightHook', 'cosine_weight', 'ProjectorDiagnosticsHook', 'projection_matrix_stats',
    'inner_product_distortion', 'plot_diagnostics', 'TeacherEvalHook'
]
