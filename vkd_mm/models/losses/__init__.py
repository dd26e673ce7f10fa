from .category_cost import category_cost_matrix, linear_cka
from .kd_loss import KLDivergenceLoss, kl_divergence_loss
from .vkd_loss import VkDLoss, vkd_loss
from .wkd_loss import (WKDFeatureLoss, WKDLogitLoss, grid_gaussian_stats, load_cost_matrix,
                       sinkhorn_distance, wkd_feature_loss, wkd_logit_loss)

__all__ = [
    'category_cost_matrix', 'linear_cka',
    'KLDivergenceLoss', 'kl_divergence_loss', 'VkDLoss', 'vkd_loss', 'WKDLogitLoss', 'WKDFeatureLoss', 'load_cost_matrix',
    'sinkhorn_distance', 'wkd_logit_loss', 'grid_gaussian_stats', 'wkd_feature_loss'
]
