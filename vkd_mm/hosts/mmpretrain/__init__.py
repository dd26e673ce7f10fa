"""MMPretrain: the DeiT distillation head, the conv-stem student, Fashion-MNIST read from its idx
files, and the labels of a batch for the losses that use them."""
from vkd_mm.hosts import require_host_libraries

require_host_libraries(__name__)

from .conv_stem_deit import ConvStem, ConvStemDistilledViT  # noqa: E402
from .datasets import FashionMNISTIdx  # noqa: E402
from .deit_distill_head import DeiTDistillHead  # noqa: E402
from .labels import extract_labels  # noqa: E402

__all__ = ['DeiTDistillHead', 'ConvStem', 'ConvStemDistilledViT', 'FashionMNISTIdx',
           'extract_labels']
