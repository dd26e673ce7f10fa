from .diff_augment import DiffAugment
from .discriminator import VkDBigGANDiscriminator
from .image_teacher import CLIPImageEncoder, FrozenImageTeacher
from .vkd_biggan import LeCamRegularizer, VkDBigGAN

__all__ = [
    'DiffAugment', 'VkDBigGANDiscriminator', 'CLIPImageEncoder', 'FrozenImageTeacher',
    'LeCamRegularizer', 'VkDBigGAN'
]
