"""The labels the distiller gives to a loss with ``needs_labels``, read from data samples."""
import pytest
import torch
from mmengine.structures import BaseDataElement

from vkd_mm.models.distillers.labels import extract_labels


def test_class_indices_from_gt_label_tensors_and_ints():
    samples = [
        BaseDataElement(gt_label=torch.tensor([2])),
        BaseDataElement(gt_label=0),
        BaseDataElement(gt_label=torch.tensor(4))
    ]
    labels = extract_labels(samples)
    assert labels.tolist() == [2, 0, 4]


def test_soft_scores_win_when_every_sample_has_them():
    scores = torch.softmax(torch.randn(3, 5), dim=1)
    samples = [BaseDataElement(gt_label=torch.tensor([1]), gt_score=score) for score in scores]
    torch.testing.assert_close(extract_labels(samples), scores, atol=0, rtol=0)


def test_mmpretrain_data_samples():
    from mmpretrain.structures import DataSample
    samples = [DataSample().set_gt_label(i) for i in (3, 1)]
    assert extract_labels(samples).tolist() == [3, 1]


@pytest.mark.parametrize('samples,message', [
    ([], 'no data samples'),
    (None, 'no data samples'),
    ([BaseDataElement(gt_label=1), BaseDataElement()], 'neither `gt_score` nor `gt_label`'),
    ([BaseDataElement(gt_label=torch.tensor([1, 3]))], 'give multi-label batches as `gt_score`'),
])
def test_batches_without_one_label_per_sample_say_what_is_missing(samples, message):
    with pytest.raises(ValueError, match=message):
        extract_labels(samples)
