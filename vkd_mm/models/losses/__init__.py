from .vkd_loss import VkDLoss, vkd_loss

__all__ = ['VkDLoss', 'vkd_loss']
