from .backbones import ConvStemDistilledViT, ViDTSwin
from .detectors import ViDT, ViDTTransformerDecoder
from .distillers import DistillPair, FeatureSource, VkDDistiller
from .gans import (CLIPImageEncoder, DiffAugment, FrozenImageTeacher, LeCamRegularizer,
                   VkDBigGAN, VkDBigGANDiscriminator)
from .heads import DeiTDistillHead
from .losses import KLDivergenceLoss, VkDLoss, WKDFeatureLoss, WKDLogitLoss, vkd_loss
from .normalizers import BatchStandardize, BatchWhiten, FeatureNormalizer, SampleLayerNorm
from .projectors import (ConvBottleneckProjector, LinearProjector, MLPProjector,
                         OrthogonalProjector, ProjectorEnsemble, TokenProjector)
from .recorder import FeatureRecorder

__all__ = [
    'VkDDistiller', 'DistillPair', 'FeatureSource', 'VkDLoss', 'vkd_loss', 'FeatureNormalizer',
    'SampleLayerNorm', 'BatchStandardize', 'BatchWhiten', 'TokenProjector', 'OrthogonalProjector',
    'LinearProjector', 'MLPProjector', 'ProjectorEnsemble', 'FeatureRecorder', 'WKDLogitLoss',
    'WKDFeatureLoss', 'ConvBottleneckProjector', 'KLDivergenceLoss', 'ConvStemDistilledViT',
    'DeiTDistillHead', 'ViDTSwin', 'ViDT', 'ViDTTransformerDecoder', 'CLIPImageEncoder', 'DiffAugment',
    'FrozenImageTeacher', 'LeCamRegularizer', 'VkDBigGAN', 'VkDBigGANDiscriminator'
]
