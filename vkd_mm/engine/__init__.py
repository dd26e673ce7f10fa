from .category_cost_loop import CategoryCostLoop
from .exact_resume import (ExactResumeEpochBasedTrainLoop, ExactResumeHook, SeededBatchFetch,
                           enable_exact_resume)
from .fault_tolerance import (NoCompleteCheckpointError, check_checkpoint_complete,
                              enable_fault_tolerance, find_resume_checkpoint, resolve_resume,
                              restart_count)

__all__ = [
    'CategoryCostLoop', 'ExactResumeHook', 'ExactResumeEpochBasedTrainLoop', 'SeededBatchFetch',
    'enable_exact_resume', 'NoCompleteCheckpointError', 'check_checkpoint_complete',
    'enable_fault_tolerance', 'find_resume_checkpoint', 'resolve_resume', 'restart_count'
]
