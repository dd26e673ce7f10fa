from .feature_norms import (BatchStandardize, BatchWhiten, DegenerateStatisticsWarning,
                            FeatureNormalizer, RunningWhiten, SampleLayerNorm,
                            ledoit_wolf_shrinkage)

__all__ = ['FeatureNormalizer', 'SampleLayerNorm', 'BatchStandardize', 'BatchWhiten',
           'RunningWhiten', 'ledoit_wolf_shrinkage', 'DegenerateStatisticsWarning']
