from .projector_diagnostics_hook import (ProjectorDiagnosticsHook, inner_product_distortion,
                                         projection_matrix_stats)

__all__ = ['ProjectorDiagnosticsHook', 'projection_matrix_stats', 'inner_product_distortion']
