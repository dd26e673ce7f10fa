"""The student of the official V_kD classification code: a DeiT with a convolutional stem.

It differs from stock DeiT (official ``models/deit.py``: ``conv_embed`` and ``forward_features``)
in two ways: the 16 x 16 patch embedding is replaced by the co-advise conv stem (conv 7x7/2 -
BN - ReLU, two conv 3x3 - BN - ReLU, then a conv 8x8/8 to the embedding width), and the
distillation token is not a learned parameter but the mean of the patch embeddings of each
image. The stem's stride and the patch size are arguments, so that the same student scales to
small images (28 x 28 with ``stem_stride=1, patch_size=7``: a 4 x 4 token grid).
Official code: https://github.com/roymiles/vkd (``models/deit.py``).
"""
from typing import Tuple

import torch
from mmpretrain.models.backbones import DistilledVisionTransformer, VisionTransformer
from torch import nn

from vkd_mm.registry import MODELS

__all__ = ['ConvStem', 'ConvStemDistilledViT']


class ConvStem(nn.Module):
    """Conv stem with total stride P: (B, in, H, W) -> tokens (B, H/P * W/P, C).

    Args:
        in_channels (int): image channels.
        embed_dims (int): token width C.
        stem_channels (int): width of the three stem convolutions. Default: 64.
        patch_size (int): total stride P. Default: 16 (the official stem).
        stem_stride (int): stride of the first (7 x 7) convolution; the projection takes
            P / stem_stride. Default: 2 (the official stem).
    """

    def __init__(self,
                 in_channels: int,
                 embed_dims: int,
                 stem_channels: int = 64,
                 patch_size: int = 16,
                 stem_stride: int = 2) -> None:
        super().__init__()
        if patch_size % stem_stride:
            raise ValueError(f'the conv stem\'s patch_size ({patch_size}) must be a multiple of '
                             f'its stem_stride ({stem_stride})')

        def conv_bn_relu(inputs: int, kernel: int, stride: int) -> list:
            return [
                nn.Conv2d(inputs, stem_channels, kernel, stride, kernel // 2, bias=False),
                nn.BatchNorm2d(stem_channels),
                nn.ReLU(inplace=True)
            ]

        self.stem = nn.Sequential(*conv_bn_relu(in_channels, 7, stem_stride),
                                  *conv_bn_relu(stem_channels, 3, 1),
                                  *conv_bn_relu(stem_channels, 3, 1))
        projection = patch_size // stem_stride
        self.projection = nn.Conv2d(stem_channels, embed_dims, projection, stride=projection)

    def forward(self, x: torch.Tensor) -> Tuple[torch.Tensor, Tuple[int, int]]:
        x = self.projection(self.stem(x))
        # [B, C, h, w] -> [B, h*w, C]
        return x.flatten(2).transpose(1, 2), (x.shape[2], x.shape[3])


@MODELS.register_module()
class ConvStemDistilledViT(DistilledVisionTransformer):
    """Distilled DeiT with a conv stem and a mean-of-patches distillation token.

    Arguments are those of ``DistilledVisionTransformer`` (``patch_size`` is the stem's total
    stride), plus ``stem_channels`` and ``stem_stride`` (see :class:`ConvStem`).
    """

    def __init__(self,
                 arch: str = 'deit-tiny',
                 stem_channels: int = 64,
                 stem_stride: int = 2,
                 **kwargs) -> None:
        super().__init__(arch=arch, **kwargs)
        self.patch_embed = ConvStem(
            kwargs.get('in_channels', 3), self.embed_dims, stem_channels,
            kwargs.get('patch_size', 16), stem_stride)
        del self.dist_token

    def init_weights(self) -> None:
        VisionTransformer.init_weights(self)
        for module in self.patch_embed.modules():
            if isinstance(module, nn.Conv2d):
                # NOTE: the official ``init_weight`` calls kaiming_normal_(weight) with torch's
                # defaults: fan_in, gain sqrt(2) (leaky_relu with slope 0, i.e. relu)
                nn.init.kaiming_normal_(module.weight, mode='fan_in', nonlinearity='relu')

    def forward(self, x: torch.Tensor) -> tuple:
        patches, patch_resolution = self.patch_embed(x)
        cls_tokens = self.cls_token.expand(x.shape[0], -1, -1)
        # NOTE: the distillation token is data-dependent, the mean of the patch embeddings
        dist_tokens = patches.mean(1, keepdim=True)
        x = torch.cat((cls_tokens, dist_tokens, patches), dim=1)
        x = x + self.resize_pos_embed(
            self.pos_embed,
            self.patch_resolution,
            patch_resolution,
            mode=self.interpolate_mode,
            num_extra_tokens=self.num_extra_tokens)
        x = self.drop_after_pos(x)
        outs = []
        for index, layer in enumerate(self.layers):
            x = layer(x)
            if index == len(self.layers) - 1 and self.final_norm:
                x = self.ln1(x)
            if index in self.out_indices:
                outs.append(self._format_output(x, patch_resolution))
        return tuple(outs)
