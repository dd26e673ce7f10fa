from .distill_pair import DistillPair
from .feature_source import FeatureSource
from .vkd_distiller import VkDDistiller

__all__ = ['VkDDistiller', 'DistillPair', 'FeatureSource']
