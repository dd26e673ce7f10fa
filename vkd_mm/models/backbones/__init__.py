from vkd_mm.utils.optional import host_component_getattr, host_installed

__all__ = []
if host_installed('mmpretrain'):
    from .conv_stem_deit import ConvStem, ConvStemDistilledViT
    __all__ += ['ConvStem', 'ConvStemDistilledViT']
if host_installed('mmdet'):
    from .vidt_swin import ViDTSwin
    __all__ += ['ViDTSwin']

__getattr__ = host_component_getattr(__name__, {
    'ConvStem': ('mmpretrain', ),
    'ConvStemDistilledViT': ('mmpretrain', ),
    'ViDTSwin': ('mmdet', )
})
