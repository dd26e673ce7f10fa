"""The labels of an MMPretrain batch, for distillation losses that use them (WKD-L)."""
from typing import Optional

import torch

__all__ = ['extract_labels']


def extract_labels(data_samples: Optional[list]) -> torch.Tensor:
    """Labels of a classification batch: soft scores (B, n) when Mixup/CutMix set them, else
    class indices (B, ).

    Args:
        data_samples (list, optional): MMPretrain ``DataSample`` objects (read by field name:
            ``gt_score``, ``gt_label``).
    """
    if not data_samples:
        raise ValueError('this logit loss needs labels, but the batch has no data samples')
    if all('gt_score' in sample for sample in data_samples):
        return torch.stack([sample.gt_score for sample in data_samples])
    if all('gt_label' in sample for sample in data_samples):
        return torch.cat([sample.gt_label for sample in data_samples])
    raise ValueError('this logit loss needs labels, but the data samples carry neither '
                     '`gt_score` nor `gt_label`')
