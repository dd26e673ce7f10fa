from .distillers import DistillPair, FeatureSource, VkDDistiller
from .losses import KLDivergenceLoss, VkDLoss, WKDFeatureLoss, WKDLogitLoss, vkd_loss
from .normalizers import (BatchSampleWhiten, BatchStandardize, BatchWhiten, FeatureNormalizer,
                          RunningWhiten, SampleLayerNorm)
from .projectors import (ConvBottleneckProjector, LinearProjector, MLPProjector,
                         OrthogonalProjector, ProjectorEnsemble, TokenProjector)
from .recorder import FeatureRecorder

__all__ = [
    'VkDDistiller', 'DistillPair', 'FeatureSource', 'VkDLoss', 'vkd_loss', 'FeatureNormalizer',
    'SampleLayerNorm', 'BatchStandardize', 'BatchWhiten', 'BatchSampleWhiten', 'RunningWhiten',
    'TokenProjector', 'OrthogonalProjector', 'LinearProjector', 'MLPProjector', 'ProjectorEnsemble',
    'FeatureRecorder', 'WKDLogitLoss', 'WKDFeatureLoss', 'ConvBottleneckProjector',
    'KLDivergenceLoss'
]
