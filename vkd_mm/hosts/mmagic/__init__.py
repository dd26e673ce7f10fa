"""BigGAN distillation for MMagic: the generator and discriminator, DiffAugment, the frozen
image teacher, the L2 feature loss, CIFAR with KD-DLGAN's seeded subsets, and the precision /
recall / density / coverage metric."""
from vkd_mm.hosts import require_host_libraries

require_host_libraries(__name__)

from .datasets import CIFAR10Subset, CIFAR100Subset, subset_indices
from .diff_augment import DiffAugment
from .discriminator import VkDBigGANDiscriminator
from .image_teacher import CLIPImageEncoder, FrozenImageTeacher
from .kd_loss import L2DistanceLoss
from .prdc import PrecisionRecallDensityCoverage, prdc
from .vkd_biggan import LeCamRegularizer, VkDBigGAN

__all__ = [
    'DiffAugment', 'VkDBigGANDiscriminator', 'CLIPImageEncoder', 'FrozenImageTeacher',
    'LeCamRegularizer', 'VkDBigGAN', 'L2DistanceLoss', 'CIFAR10Subset', 'CIFAR100Subset',
    'subset_indices', 'PrecisionRecallDensityCoverage', 'prdc'
]
