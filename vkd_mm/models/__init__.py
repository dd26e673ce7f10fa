from vkd_mm.utils.optional import host_component_getattr, host_installed
from .distillers import DistillPair, FeatureSource, VkDDistiller
from .losses import KLDivergenceLoss, VkDLoss, WKDFeatureLoss, WKDLogitLoss, vkd_loss
from .normalizers import (BatchStandardize, BatchWhiten, FeatureNormalizer, RunningWhiten,
                          SampleLayerNorm)
from .projectors import (ConvBottleneckProjector, LinearProjector, MLPProjector,
                         OrthogonalProjector, ProjectorEnsemble, TokenProjector)
from .recorder import FeatureRecorder

__all__ = [
    'VkDDistiller', 'DistillPair', 'FeatureSource', 'VkDLoss', 'vkd_loss', 'FeatureNormalizer',
    'SampleLayerNorm', 'BatchStandardize', 'BatchWhiten', 'RunningWhiten', 'TokenProjector',
    'OrthogonalProjector', 'LinearProjector', 'MLPProjector', 'ProjectorEnsemble',
    'FeatureRecorder', 'WKDLogitLoss', 'WKDFeatureLoss', 'ConvBottleneckProjector',
    'KLDivergenceLoss'
]

# components for one host library: imported (and registered) only where it is installed
HOST_COMPONENTS = {
    'ConvStemDistilledViT': ('mmpretrain', ),
    'DeiTDistillHead': ('mmpretrain', ),
    'ViDTSwin': ('mmdet', ),
    'ViDT': ('mmdet', ),
    'ViDTTransformerDecoder': ('mmdet', ),
    'CLIPImageEncoder': ('mmagic', ),
    'DiffAugment': ('mmagic', ),
    'FrozenImageTeacher': ('mmagic', ),
    'LeCamRegularizer': ('mmagic', ),
    'VkDBigGAN': ('mmagic', ),
    'VkDBigGANDiscriminator': ('mmagic', ),
}
if host_installed('mmpretrain'):
    from .backbones import ConvStemDistilledViT
    from .heads import DeiTDistillHead
    __all__ += ['ConvStemDistilledViT', 'DeiTDistillHead']
if host_installed('mmdet'):
    from .backbones import ViDTSwin
    from .detectors import ViDT, ViDTTransformerDecoder
    __all__ += ['ViDTSwin', 'ViDT', 'ViDTTransformerDecoder']
if host_installed('mmagic'):
    from .gans import (CLIPImageEncoder, DiffAugment, FrozenImageTeacher, LeCamRegularizer,
                       VkDBigGAN, VkDBigGANDiscriminator)
    __all__ += [
        'CLIPImageEncoder', 'DiffAugment', 'FrozenImageTeacher', 'LeCamRegularizer',
        'VkDBigGAN', 'VkDBigGANDiscriminator'
    ]

__getattr__ = host_component_getattr(__name__, HOST_COMPONENTS)
