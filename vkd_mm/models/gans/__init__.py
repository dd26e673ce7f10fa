from .diff_augment import DiffAugment
from .discriminator import VkDBigGANDiscriminator
from .image_teacher import CLIPImageEncoder, FrozenImageTeacher
from .kd_loss import L2DistanceLoss
from .vkd_biggan import LeCamRegularizer, VkDBigGAN

__all__ = [
    'DiffAugment', 'VkDBigGANDiscriminator', 'CLIPImageEncoder', 'FrozenImageTeacher',
    'LeCamRegularizer', 'VkDBigGAN', 'L2DistanceLoss'
]
