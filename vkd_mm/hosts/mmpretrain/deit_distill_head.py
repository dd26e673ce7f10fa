"""A DeiT head that trains the distilled DeiT (Touvron et al., ICML 2021).

mmpretrain's ``DeiTClsHead`` only evaluates: in training it warns and fits cross-entropy to the
average of both heads. Here the class head alone gets the cross-entropy and the distillation
head is left to a distillation loss (``logit_distill`` of :class:`VkDDistiller`, recorded at
``head.layers.head_dist``); inference averages both heads, as stock and as in the official V_kD
code. Parameter names are the stock head's, so a trained student loads strictly into stock
mmpretrain DeiT configs.
"""
from typing import List, Tuple

import torch
from mmpretrain.models.heads import DeiTClsHead
from mmpretrain.structures import DataSample

from vkd_mm.registry import MODELS

__all__ = ['DeiTDistillHead']


@MODELS.register_module()
class DeiTDistillHead(DeiTClsHead):
    """``DeiTClsHead`` whose loss is cross-entropy on the class-token head only.

    Arguments are those of ``mmpretrain.models.heads.DeiTClsHead``.
    """

    def forward(self, feats: Tuple[List[torch.Tensor]]) -> torch.Tensor:
        """Average of both heads' logits, (B, num_classes)."""
        cls_token, dist_token = self.pre_logits(feats)
        return (self.layers.head(cls_token) + self.layers.head_dist(dist_token)) / 2

    def loss(self, feats: Tuple[torch.Tensor], data_samples: List[DataSample], **kwargs) -> dict:
        """Cross-entropy of the class head; the distillation head runs (so that its logits can
        be recorded and it trains through the distillation loss) but adds no loss here."""
        cls_token, dist_token = self.pre_logits(feats)
        cls_score = self.layers.head(cls_token)
        self.layers.head_dist(dist_token)
        return self._get_loss(cls_score, data_samples, **kwargs)
