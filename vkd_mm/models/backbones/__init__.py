from .conv_stem_deit import ConvStem, ConvStemDistilledViT
from .vidt_swin import ViDTSwin

__all__ = ['ConvStem', 'ConvStemDistilledViT', 'ViDTSwin']
