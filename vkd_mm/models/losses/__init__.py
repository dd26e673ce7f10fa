from .kd_loss import KLDivergenceLoss, kl_divergence_loss
from .token_matching_loss import TokenMatchingLoss, token_matching_loss
from .vkd_loss import VkDLoss, vkd_loss
from .wkd_feature_loss import WKDFeatureLoss, grid_gaussian_stats, wkd_feature_loss
from .wkd_logit_loss import WKDLogitLoss, wkd_logit_loss

__all__ = [
    'KLDivergenceLoss', 'kl_divergence_loss', 'VkDLoss', 'vkd_loss', 'WKDLogitLoss',
    'wkd_logit_loss', 'WKDFeatureLoss', 'grid_gaussian_stats', 'wkd_feature_loss',
    'TokenMatchingLoss', 'token_matching_loss'
]
