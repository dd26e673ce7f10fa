from .distill_pair import DistillPair
from .feature_source import FeatureSource
from .labels import extract_labels
from .token_matching_distiller import TokenMatchingDistiller
from .vkd_distiller import VkDDistiller

__all__ = [
    'VkDDistiller', 'TokenMatchingDistiller', 'DistillPair', 'FeatureSource', 'extract_labels'
]
