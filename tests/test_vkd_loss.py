import pytest
import torch
from torch.nn import functional as F

from vkd_mm.models import VkDLoss, vkd_loss


def test_smooth_l1_matches_torch_and_applies_the_weight():
    a, b = torch.randn(4, 8), torch.randn(4, 8)
    loss = VkDLoss(mode='smooth_l1', beta=0.5, loss_weight=4.0)(a, b)
    torch.testing.assert_close(loss, 4.0 * F.smooth_l1_loss(a, b, beta=0.5))


def test_mse_and_reductions():
    a, b = torch.randn(4, 8), torch.randn(4, 8)
    torch.testing.assert_close(
        VkDLoss(mode='mse', reduction='sum')(a, b), F.mse_loss(a, b, reduction='sum'))
    assert VkDLoss(reduction='none')(a, b).shape == (4, 8)


def test_identical_features_give_zero():
    x = torch.randn(3, 5)
    assert VkDLoss()(x, x.clone()) == 0


def test_shape_mismatch_names_both_shapes():
    with pytest.raises(ValueError, match=r'\(2, 8\).*\(2, 9\)'):
        VkDLoss()(torch.randn(2, 8), torch.randn(2, 9))


def test_bad_options_are_rejected_naming_the_allowed_ones():
    modes = r"mode must be one of \('smooth_l1', 'mse'\), got 'l3'"
    reductions = r"reduction must be one of \('mean', 'sum', 'none'\), got 'max'"
    with pytest.raises(ValueError, match=modes):
        VkDLoss(mode='l3')
    with pytest.raises(ValueError, match=reductions):
        VkDLoss(reduction='max')
    features = torch.randn(2, 8)
    with pytest.raises(ValueError, match=modes):
        vkd_loss(features, features, mode='l3')
    with pytest.raises(ValueError, match=reductions):
        vkd_loss(features, features, reduction='max')
