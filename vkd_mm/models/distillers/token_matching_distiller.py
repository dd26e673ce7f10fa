"""ViDT's knowledge distillation with token matching, as its official code combines the terms.

ViDT: "An Efficient and Effective Fully Transformer-based Object Detector", Song et al., ICLR
2022, https://arxiv.org/abs/2110.03921; official code https://github.com/naver-ai/vidt,
``methods/vidt/criterion.py``: ``loss_distil = sqrt(sum of the groups' terms)``, weighted by
``--distil_loss_coef`` (4.0) in the detector's weight dict.
"""
from typing import Dict

import torch

from vkd_mm.registry import MODELS
from ..losses import TokenMatchingLoss
from .vkd_distiller import VkDDistiller

__all__ = ['TokenMatchingDistiller']

# below it, the square root's gradient would be infinite at a zero sum (student == teacher)
_MIN_SUM = 1e-12


@MODELS.register_module()
class TokenMatchingDistiller(VkDDistiller):
    """A :class:`VkDDistiller` whose :class:`TokenMatchingLoss` pairs form one loss::

        loss_tm = loss_weight * sqrt(sum over token-matching pairs of their weighted terms)

    which is ViDT's ``loss_distil`` when the pairs are its token groups (the 4 [PATCH] levels and
    the body [DET] tokens with weight 1, the decoder's [DET] tokens of all 7 levels with weight
    7: ``configs/_base_/distill/vidt_token_matching.py``). The ViDT paper's equation is a
    weighted sum of mean token distances without the square root; this class follows the
    official code, released with ViDT's results. Each pair's term is logged as ``tm_<name>``
    (not summed into the loss); pairs with other losses are added on their own, as in
    :class:`VkDDistiller`.

    Args:
        loss_weight (float): multiplies the square root (ViDT's ``--distil_loss_coef``).
            Default: 4.0.
        **kwargs: the arguments of :class:`VkDDistiller`, by keyword.
    """

    def __init__(self, *, loss_weight: float = 4.0, **kwargs) -> None:
        super().__init__(**kwargs)
        self.loss_weight = loss_weight
        self.token_keys = [
            pair.loss_key for pair in self.pairs.values()
            if isinstance(pair.loss, TokenMatchingLoss)
        ]
        if not self.token_keys:
            raise ValueError('TokenMatchingDistiller needs at least one distill pair with '
                             'loss=dict(type="TokenMatchingLoss"), projector=None and '
                             'teacher_norm=None')

    def combine_pair_losses(self, pair_losses: Dict[str, torch.Tensor]) -> Dict[str, torch.Tensor]:
        """``loss_tm`` from the token-matching terms, ``tm_<name>`` to log each of them, and
        the other pairs' terms unchanged.

        Args:
            pair_losses (dict): ``loss_<kind>_<name>`` -> scalar for every pair.

        Returns:
            dict: the entries to add to the student's losses.
        """
        combined = {key: value for key, value in pair_losses.items() if key not in self.token_keys}
        total = sum(pair_losses[key] for key in self.token_keys)
        combined['loss_tm'] = self.loss_weight * total.clamp_min(_MIN_SUM).sqrt()
        for key in self.token_keys:
            combined[key[len('loss_'):]] = pair_losses[key].detach()
        return combined

    def extra_repr(self) -> str:
        return f'loss_weight={self.loss_weight}'
