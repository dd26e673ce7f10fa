from vkd_mm.utils.optional import lazy_host_getattr

# every backbone here extends a host library's: imported on first access (vkd_mm.registry)
__all__ = []

__getattr__ = lazy_host_getattr(__name__, {
    'ConvStem': ('.conv_stem_deit', ('mmpretrain', )),
    'ConvStemDistilledViT': ('.conv_stem_deit', ('mmpretrain', )),
    'ViDTSwin': ('.vidt_swin', ('mmdet', ))
})
