from .conv_stem_deit import ConvStem, ConvStemDistilledViT

__all__ = ['ConvStem', 'ConvStemDistilledViT']
