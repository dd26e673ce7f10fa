from .distill_pair import DistillPair
from .feature_source import FeatureSource
from .labels import extract_labels
from .vkd_distiller import VkDDistiller

__all__ = ['VkDDistiller', 'DistillPair', 'FeatureSource', 'extract_labels']
