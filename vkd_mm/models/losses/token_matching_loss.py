"""ViDT's token-matching distillation term for one group of tokens.

ViDT: "An Efficient and Effective Fully Transformer-based Object Detector", Song et al., ICLR
2022, https://arxiv.org/abs/2110.03921, section "Knowledge distillation with token matching";
official code https://github.com/naver-ai/vidt, ``methods/vidt/criterion.py`` (``loss_distil``).
The student's [PATCH] tokens (the 4 levels after ``input_proj``), its body [DET] tokens and the
[DET] tokens of every decoder level are matched to the teacher's: per group, the mean over
tokens of the L2 distance between student and teacher token. No projector, no normalisation.
How the groups' terms become one loss (a weighted square root of their sum in the official code)
is :class:`~vkd_mm.models.distillers.TokenMatchingDistiller`'s job.
"""
import torch
from torch import nn

from vkd_mm.registry import MODELS
from ..tokens import to_tokens

__all__ = ['token_matching_loss', 'TokenMatchingLoss']


def token_matching_loss(student: torch.Tensor, teacher: torch.Tensor) -> torch.Tensor:
    """Mean over tokens of the L2 distance between student and teacher tokens, in float32.

    Args:
        student (Tensor): student tokens in any layout :func:`~vkd_mm.models.tokens.to_tokens`
            takes: (M, C), (B, N, C) or (B, C, H, W).
        teacher (Tensor): teacher tokens of the same shape; no gradient reaches them.

    Returns:
        Tensor: scalar, ``mean_i ||s_i - t_i||_2`` over the M tokens.
    """
    if student.shape != teacher.shape:
        raise ValueError(f'student tokens {tuple(student.shape)} and teacher tokens '
                         f'{tuple(teacher.shape)} differ in shape')
    with torch.autocast(device_type=student.device.type, enabled=False):
        student_tokens, _ = to_tokens(student.float())
        teacher_tokens, _ = to_tokens(teacher.float().detach())
        # NOTE vector_norm's gradient at a zero difference is 0, where the official
        # sqrt(sum(pow)) gives NaN; the values are the same
        return torch.linalg.vector_norm(student_tokens - teacher_tokens, dim=-1).mean()


@MODELS.register_module()
class TokenMatchingLoss(nn.Module):
    """ViDT's token-matching term of one token group: mean over tokens of ``||s - t||_2``.

    A ``distill`` pair with this loss and no projector or normaliser
    (``projector=None, teacher_norm=None``) is one group of ViDT's distillation. Under
    :class:`~vkd_mm.models.distillers.TokenMatchingDistiller` the terms of all such pairs are
    combined as the official code does; under :class:`~vkd_mm.models.distillers.VkDDistiller`
    each term is added to the loss on its own (a weighted sum, without the square root).

    Args:
        loss_weight (float): multiplies the term: the official code weights the decoder's
            [DET] group by its number of levels (7) and every other group by 1. Default: 1.0.
    """

    loss_name = 'tm'

    def __init__(self, loss_weight: float = 1.0) -> None:
        super().__init__()
        self.loss_weight = loss_weight

    def forward(self, student: torch.Tensor, teacher: torch.Tensor) -> torch.Tensor:
        """Args: student, teacher (Tensor): same shape. Returns: Tensor: weighted term."""
        return self.loss_weight * token_matching_loss(student, teacher)

    def extra_repr(self) -> str:
        return f'loss_weight={self.loss_weight}'
