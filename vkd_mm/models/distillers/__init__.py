from .feature_pair import DistillPair, FeatureSource
from .vkd_distiller import VkDDistiller

__all__ = ['VkDDistiller', 'DistillPair', 'FeatureSource']
