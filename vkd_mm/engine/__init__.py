from .category_cost_loop import CategoryCostLoop
from .exact_resume import (ExactResumeEpochBasedTrainLoop, ExactResumeHook, SeededBatchFetch,
                           enable_exact_resume)

__all__ = ['CategoryCostLoop', 'ExactResumeHook', 'ExactResumeEpochBasedTrainLoop',
           'SeededBatchFetch', 'enable_exact_resume']
