from .base import DegenerateStatisticsWarning, FeatureNormalizer
from .standardize import BatchStandardize, SampleLayerNorm
from .whiten import BatchWhiten, RunningWhiten, ledoit_wolf_shrinkage

__all__ = ['FeatureNormalizer', 'SampleLayerNorm', 'BatchStandardize', 'BatchWhiten',
           'RunningWhiten', 'ledoit_wolf_shrinkage', 'DegenerateStatisticsWarning']
