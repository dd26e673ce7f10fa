from vkd_mm.utils.optional import lazy_host_getattr
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

# Components for one host library: imported (and registered) on first access, so that
# ``import vkd_mm.models`` imports no host library; they are not in ``__all__`` for the same
# reason. A config of the host's scope registers them without this (see vkd_mm.registry).
HOST_COMPONENTS = {
    'ConvStemDistilledViT': ('.backbones.conv_stem_deit', ('mmpretrain', )),
    'DeiTDistillHead': ('.heads', ('mmpretrain', )),
    'ViDTSwin': ('.backbones.vidt_swin', ('mmdet', )),
    'ViDT': ('.detectors', ('mmdet', )),
    'ViDTTransformerDecoder': ('.detectors', ('mmdet', )),
    'CLIPImageEncoder': ('.gans', ('mmagic', )),
    'DiffAugment': ('.gans', ('mmagic', )),
    'FrozenImageTeacher': ('.gans', ('mmagic', )),
    'LeCamRegularizer': ('.gans', ('mmagic', )),
    'VkDBigGAN': ('.gans', ('mmagic', )),
    'VkDBigGANDiscriminator': ('.gans', ('mmagic', )),
}

__getattr__ = lazy_host_getattr(__name__, HOST_COMPONENTS)
