from .base import DegenerateStatisticsWarning, FeatureNormalizer
from .sample_whiten import BatchSampleWhiten, polar_factor
from .standardize import BatchStandardize, SampleLayerNorm
from .whiten import BatchWhiten, RunningWhiten, ledoit_wolf_shrinkage

__all__ = [
    'FeatureNormalizer', 'SampleLayerNorm', 'BatchStandardize', 'BatchWhiten', 'BatchSampleWhiten',
    'RunningWhiten', 'polar_factor', 'ledoit_wolf_shrinkage', 'DegenerateStatisticsWarning'
]
