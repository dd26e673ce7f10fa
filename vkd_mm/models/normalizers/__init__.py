from .feature_norms import (BatchStandardize, BatchWhiten, FeatureNormalizer, SampleLayerNorm,
                            ledoit_wolf_shrinkage)

__all__ = ['FeatureNormalizer', 'SampleLayerNorm', 'BatchStandardize', 'BatchWhiten',
           'ledoit_wolf_shrinkage']
