from .distillers import DistillPair, FeatureSource, VkDDistiller
from .losses import VkDLoss, vkd_loss
from .normalizers import BatchStandardize, BatchWhiten, FeatureNormalizer, SampleLayerNorm
from .projectors import (LinearProjector, MLPProjector, OrthogonalProjector, ProjectorEnsemble,
                         TokenProjector)
from .recorder import FeatureRecorder

__all__ = [
    'VkDDistiller', 'DistillPair', 'FeatureSource', 'VkDLoss', 'vkd_loss', 'FeatureNormalizer',
    'SampleLayerNorm', 'BatchStandardize', 'BatchWhiten', 'TokenProjector', 'OrthogonalProjector',
    'LinearProjector', 'MLPProjector', 'ProjectorEnsemble', 'FeatureRecorder'
]
