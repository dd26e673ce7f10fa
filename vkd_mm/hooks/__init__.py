from .atomic_checkpoint_hook import AtomicCheckpointHook, point_last_checkpoint
from .loss_weight_schedule_hook import CosineLossWeightHook, cosine_weight
from .preemption_hook import PREEMPTED_EXIT_CODE, PreemptionHook
from .projector_diagnostics_hook import (ProjectorDiagnosticsHook, inner_product_distortion,
                                         plot_diagnostics, projection_matrix_stats)
from .teacher_eval_hook import TeacherEvalHook

__all__ = [
    'CosineLossWeightHook', 'cosine_weight', 'ProjectorDiagnosticsHook', 'projection_matrix_stats',
    'inner_product_distortion', 'plot_diagnostics', 'TeacherEvalHook', 'AtomicCheckpointHook',
    'point_last_checkpoint', 'PreemptionHook', 'PREEMPTED_EXIT_CODE'
]
