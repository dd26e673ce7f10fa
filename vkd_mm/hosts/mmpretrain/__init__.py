"""MMPretrain: the DeiT distillation head, the conv-stem student and Fashion-MNIST read from its
idx files."""
from vkd_mm.hosts import require_host_libraries

require_host_libraries(__name__)

from .conv_stem_deit import ConvStem, ConvStemDistilledViT  # noqa: E402
from .datasets import FashionMNISTIdx  # noqa: E402
from .deit_distill_head import DeiTDistillHead  # noqa: E402

__all__ = ['DeiTDistillHead', 'ConvStem', 'ConvStemDistilledViT', 'FashionMNISTIdx']
