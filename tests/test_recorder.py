import pytest
import torch
from torch import nn

from vkd_mm.models import FeatureRecorder


class TwoOutputs(nn.Module):

    def forward(self, x):
        return x, x * 2


def toy_model():
    return nn.Sequential(nn.Linear(4, 8), nn.Sequential(nn.ReLU(), nn.Linear(8, 3)), TwoOutputs())


def test_records_outputs_and_removes_its_hooks():
    model = toy_model()
    recorder = FeatureRecorder(model, {'hidden': ('1.0', None), 'pair': ('2', 1)})
    x = torch.randn(2, 4)
    with recorder.record() as feats:
        out = model(x)
    torch.testing.assert_close(feats['hidden'], torch.relu(model[0](x)))
    torch.testing.assert_close(feats['pair'], out[1])
    assert all(not module._forward_hooks for module in model.modules())


def test_hooks_are_removed_when_the_forward_fails():
    model = toy_model()
    recorder = FeatureRecorder(model, {'hidden': ('1', None)})
    with pytest.raises(RuntimeError):
        with recorder.record():
            model(torch.randn(2, 5))
    assert all(not module._forward_hooks for module in model.modules())


def test_unknown_path_lists_the_closest_modules():
    model = nn.Module()
    model.backbone = nn.Sequential()
    model.backbone.add_module('layer3', nn.Linear(2, 2))
    model.backbone.add_module('layer4', nn.Linear(2, 2))
    with pytest.raises(
            ValueError, match=r"student has no module 'backbone.layr4'.*backbone.layer4"):
        FeatureRecorder(model, {'f': ('backbone.layr4', None)}, 'student')


def test_index_on_a_tensor_output_is_explained():
    model = toy_model()
    recorder = FeatureRecorder(model, {'f': ('0', 1)}, 'teacher')
    with pytest.raises(ValueError, match='cannot select'):
        with recorder.record():
            model(torch.randn(2, 4))


def test_tuple_output_without_index_is_explained():
    model = toy_model()
    recorder = FeatureRecorder(model, {'f': ('2', None)}, 'teacher')
    with pytest.raises(ValueError, match='set an index'):
        with recorder.record():
            model(torch.randn(2, 4))
