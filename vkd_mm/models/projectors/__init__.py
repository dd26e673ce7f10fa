from .base import TokenProjector
from .conv_bottleneck import ConvBottleneckProjector
from .ensemble import ProjectorEnsemble
from .linear import LinearProjector
from .mlp import MLPProjector
from .orthogonal import ChannelAffine, OrthogonalProjector
from .orthogonal_maps import (ORTHOGONAL_MAPS, CholeskyQRMap, FullMatrixExpMap, HouseholderQRMap,
                              MatrixExpMap, OrthogonalMap)

__all__ = [
    'TokenProjector', 'OrthogonalProjector', 'ChannelAffine', 'LinearProjector', 'MLPProjector',
    'ProjectorEnsemble', 'OrthogonalMap', 'MatrixExpMap', 'FullMatrixExpMap', 'HouseholderQRMap',
    'CholeskyQRMap', 'ORTHOGONAL_MAPS', 'ConvBottleneckProjector'
]
