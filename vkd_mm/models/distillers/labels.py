"""The ground-truth labels of a batch, for the distillation losses that use them (WKD-L)."""
from typing import Optional, Sequence

import torch

__all__ = ['extract_labels']


def extract_labels(data_samples: Optional[Sequence]) -> torch.Tensor:
    """Labels of a classification batch, read from its data samples by field name.

    Soft scores when every sample has ``gt_score`` (MMPretrain's Mixup and CutMix set them),
    else one class index per sample from ``gt_label``. Any data sample type with these
    attributes works (MMPretrain's ``DataSample``, an MMEngine ``BaseDataElement``); nothing
    here imports a host library.

    Args:
        data_samples (Sequence, optional): the batch's B data samples. ``gt_score`` is a (n, )
            tensor; ``gt_label`` an int or a one-element tensor.

    Returns:
        Tensor: (B, n) scores or (B, ) class indices.
    """
    if not data_samples:
        raise ValueError('this logit loss needs labels, but the batch has no data samples')
    scores = [getattr(sample, 'gt_score', None) for sample in data_samples]
    if all(score is not None for score in scores):
        return torch.stack(scores)
    labels = [getattr(sample, 'gt_label', None) for sample in data_samples]
    if any(label is None for label in labels):
        raise ValueError('this logit loss needs labels, but the data samples carry neither '
                         '`gt_score` nor `gt_label`; use a dataset that sets them')
    labels = [torch.as_tensor(label).reshape(-1) for label in labels]
    if any(label.numel() != 1 for label in labels):
        sizes = sorted({label.numel() for label in labels})
        raise ValueError(f'this logit loss needs one class per sample, but `gt_label` holds '
                         f'{sizes} values: give multi-label batches as `gt_score`')
    return torch.cat(labels)
