"""The CIFAR-100 models of the CRD benchmark against the CRD code, and its checkpoints converted.

The reference figures were counted by building each model of the CRD code
(HobbitLong/RepDistiller ``models/``; megvii-research/mdistiller ``mdistiller/models/cifar/``
builds the same state dicts) with 100 classes: its parameter count, the number of tensors of its
state dict, and the SHA-1 of its sorted ``key:shape`` lines, the layout its checkpoints have.
"""
import hashlib
import os.path as osp
import re
import runpy
import sys

import pytest
import torch
from mmengine.registry import DefaultScope

from vkd_mm.hosts.mmpretrain import convert_crd_cifar, crd_state_dict
from vkd_mm.registry import MODELS
from vkd_mm.utils import load_state_dict_checked
from .conftest import REPO_ROOT

_RESNET50 = ((r'\.downsample\.', '.shortcut.'), )
_WRN = ((r'^(block\d)\.(\d+)\.', r'\1.layer.\2.'), (r'\.conv_shortcut\.', '.convShortcut.'))

# CRD name: (our backbone, final map (C, H, W) at 32 x 32, CRD classifier, our -> CRD key rules,
#            CRD parameters, CRD state dict tensors, SHA-1 of the CRD layout)
MODELS_OF_CRD = {
    'resnet8x4': (dict(type='CifarResNet', arch='resnet8x4'), (256, 8, 8), 'fc', (), 1233540, 62,
                  '7f0edb9af70c4bebebe855c72bbcc40fe4225572'),
    'resnet32x4': (dict(type='CifarResNet', arch='resnet32x4'), (256, 8, 8), 'fc', (), 7433860, 206,
                   '235d5dfffe700e84f324a911c175797aa03cfc1d'),
    'resnet20': (dict(type='CifarResNet', arch='resnet20'), (64, 8, 8), 'fc', (), 278324, 128,
                 'b9ddf09307659beff9118ce355d93bf8de7fbaf0'),
    'resnet32': (dict(type='CifarResNet', arch='resnet32'), (64, 8, 8), 'fc', (), 472756, 200,
                 'f84a3988bee7703b748d31ba4e4cf4f26ccaaeb5'),
    'resnet56': (dict(type='CifarResNet', arch='resnet56'), (64, 8, 8), 'fc', (), 861620, 344,
                 '5804e24b1947c4eac724d4150663f4a275437027'),
    'resnet110': (dict(type='CifarResNet', arch='resnet110'), (64, 8, 8), 'fc', (), 1736564, 668,
                  '00f1edfdf5dadc1727f13b42e8ecb157d25586f7'),
    'ResNet50': (dict(type='ResNet_CIFAR', depth=50, out_indices=(3, )), (2048, 4, 4), 'linear',
                 _RESNET50, 23705252, 320, '99813486061e8af8eaef7f48392945a67fcd86dc'),
    'wrn_40_2': (dict(type='CifarWideResNet', arch='wrn-40-2'), (128, 8, 8), 'fc', _WRN, 2255156,
                 227, '9303544e45bfe0848c0b2928c6297336e8a16128'),
    'wrn_40_1': (dict(type='CifarWideResNet', arch='wrn-40-1'), (64, 8, 8), 'fc', _WRN, 569780, 226,
                 'f518e61dec66cc40e2683af70c7f20eea3e62b68'),
    'wrn_16_2': (dict(type='CifarWideResNet', arch='wrn-16-2'), (128, 8, 8), 'fc', _WRN, 703284, 83,
                 '672c19730a52f172cb2d746efcb3cf9759d3fd3c'),
    'vgg13': (dict(type='CifarVGG', arch='vgg13'), (512, 4, 4), 'classifier', (), 9462180, 72,
              '85d262b0c680e48c1b87fda83e1c1ae2f8425f7d'),
    'vgg8': (dict(type='CifarVGG', arch='vgg8'), (512, 4, 4), 'classifier', (), 3965028, 37,
             'cccc6df644d950e54550a293257ac06b679b5ba3'),
    'MobileNetV2': (dict(type='CifarMobileNetV2'), (1280, 2, 2), 'classifier.0', (), 812836, 320,
                    'e33ad8ebac32658450ca79f697585a4aa5587578'),
    'ShuffleV1': (dict(type='CifarShuffleNetV1'), (960, 4, 4), 'linear', (), 949258, 296,
                  '38b2972fbe8f20c7044cabc582efcd1b7f331df9'),
    'ShuffleV2': (dict(type='CifarShuffleNetV2'), (1024, 4, 4), 'linear', (), 1355528, 338,
                  '8a87fab55985a1c03b88dfaa13cfcd05a8dd557d'),
}
NAMES = list(MODELS_OF_CRD)


def build_classifier(name):
    """The CIFAR-100 classifier of the configs: backbone, global average pooling, 100-way
    linear head."""
    backbone, (channels, _, _) = MODELS_OF_CRD[name][:2]
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        model = MODELS.build(
            dict(
                type='ImageClassifier',
                backbone=backbone,
                neck=dict(type='GlobalAveragePooling'),
                head=dict(type='LinearClsHead', num_classes=100, in_channels=channels)))
    model.init_weights()
    return model


def to_crd_layout(name, state_dict):
    """Our classifier's state dict in the key layout of the CRD code's model."""
    classifier, rules = MODELS_OF_CRD[name][2:4]
    crd = {}
    for key, value in state_dict.items():
        if key.startswith('head.fc.'):
            crd[classifier + key[len('head.fc'):]] = value
            continue
        key = key[len('backbone.'):]
        for pattern, replacement in rules:
            key = re.sub(pattern, replacement, key)
        crd[key] = value
    return crd


def randomise_norms(model):
    """Batch-norm statistics and affine parameters away from their init, so that eval-mode
    outputs depend on every buffer."""
    for module in model.modules():
        if isinstance(module, torch.nn.BatchNorm2d):
            module.running_mean.uniform_(-0.1, 0.1)
            module.running_var.uniform_(0.5, 1.5)
            module.weight.data.uniform_(0.5, 1.0)
            module.bias.data.uniform_(-0.1, 0.1)
    return model


@pytest.mark.parametrize('name', NAMES)
def test_model_matches_the_crd_code(name):
    """Parameter count (backbone + 100-way head), state dict layout and a 32 x 32 forward."""
    model = build_classifier(name)
    params, tensors, layout = MODELS_OF_CRD[name][4:]
    assert sum(p.numel() for p in model.parameters()) == params
    crd = to_crd_layout(name, model.state_dict())
    assert len(crd) == tensors
    lines = '\n'.join(f'{key}:{tuple(value.shape)}' for key, value in sorted(crd.items()))
    assert hashlib.sha1(lines.encode()).hexdigest() == layout
    images = torch.randn(2, 3, 32, 32)
    (features, ) = model.backbone(images)
    assert features.shape == (2, *MODELS_OF_CRD[name][1])
    logits = model(images, mode='tensor')
    assert logits.shape == (2, 100) and torch.isfinite(logits).all()


@pytest.mark.parametrize('name', NAMES)
def test_converted_checkpoint_loads_strictly_and_predicts_the_same(name):
    source = randomise_norms(build_classifier(name)).eval()
    checkpoint = {'epoch': 240, 'model': to_crd_layout(name, source.state_dict())}
    target = build_classifier(name).eval()
    load_state_dict_checked(target, convert_crd_cifar(crd_state_dict(checkpoint)))
    images = torch.randn(2, 3, 32, 32)
    with torch.no_grad():
        assert torch.equal(target(images, mode='tensor'), source(images, mode='tensor'))


def test_checkpoint_wrappers_and_ddp_prefix_are_read():
    state = to_crd_layout('resnet8x4', build_classifier('resnet8x4').state_dict())
    for checkpoint in (state, {
            'net': state
    }, {
            'model': state
    }, {
            'state_dict': {
                'module.' + k: v
                for k, v in state.items()
            }
    }):
        assert list(crd_state_dict(checkpoint)) == list(state)


def test_keys_of_another_model_are_named():
    model = build_classifier('resnet8x4')
    state = to_crd_layout('resnet8x4', model.state_dict())
    with pytest.raises(ValueError, match='one linear classifier.*none'):
        convert_crd_cifar({k: v for k, v in state.items() if not k.startswith('fc.')})
    with pytest.raises(ValueError, match='one linear classifier'):
        convert_crd_cifar({**state, 'linear.weight': state['fc.weight']})
    extra = convert_crd_cifar({**state, 'layer4.0.conv1.weight': torch.zeros(1)})
    with pytest.raises(ValueError, match=r'unexpected keys: backbone\.layer4\.0\.conv1\.'):
        load_state_dict_checked(model, extra)
    deeper = build_classifier('resnet32x4')
    with pytest.raises(ValueError, match=r'missing keys: .*backbone\.layer1\.1\.conv1\.'):
        load_state_dict_checked(deeper, convert_crd_cifar(state))


def run_convert_tool(monkeypatch, *args):
    """tools/convert_cifar_checkpoint.py in this process, with ``args`` on its command line."""
    tool = osp.join(REPO_ROOT, 'tools/convert_cifar_checkpoint.py')
    monkeypatch.setattr(sys, 'argv', [tool, *map(str, args)])
    runpy.run_path(tool, run_name='__main__')


def test_convert_tool_writes_a_checkpoint_the_config_loads(tmp_path, monkeypatch):
    config = osp.join(REPO_ROOT, 'configs/cifar100/wrn-40-1_1xb64-240e_cifar100.py')
    source = randomise_norms(build_classifier('wrn_40_1')).eval()
    src, dst = tmp_path / 'ckpt_epoch_240.pth', tmp_path / 'wrn-40-1.pth'
    torch.save({'model': to_crd_layout('wrn_40_1', source.state_dict()), 'epoch': 240}, src)
    run_convert_tool(monkeypatch, src, dst, config)
    target = build_classifier('wrn_40_1').eval()
    load_state_dict_checked(target, torch.load(dst, weights_only=True)['state_dict'])
    images = torch.randn(2, 3, 32, 32)
    with torch.no_grad():
        assert torch.equal(target(images, mode='tensor'), source(images, mode='tensor'))
    wrong = osp.join(REPO_ROOT, 'configs/cifar100/resnet8x4_1xb64-240e_cifar100.py')
    with pytest.raises(ValueError, match='resnet8x4_1xb64-240e_cifar100.py does not match'):
        run_convert_tool(monkeypatch, src, tmp_path / 'wrong.pth', wrong)


@pytest.mark.parametrize('backbone, shapes', [
    (dict(type='CifarResNet', arch='resnet8x4', out_indices=(0, 1, 2)), [(64, 32, 32),
                                                                         (128, 16, 16),
                                                                         (256, 8, 8)]),
    (dict(type='CifarWideResNet', arch='wrn-16-2', out_indices=(0, -1)), [(32, 32, 32),
                                                                          (128, 8, 8)]),
    (dict(type='CifarVGG', arch='vgg8', out_indices=(0, 1, 2, 3, 4)), [(64, 32, 32), (128, 16, 16),
                                                                       (256, 8, 8), (512, 4, 4),
                                                                       (512, 4, 4)]),
    (dict(type='CifarVGG', arch='vgg8', pool_before_last=True, out_indices=(4, )), [(512, 2, 2)]),
    (dict(type='CifarMobileNetV2', out_indices=(0, 1, 2, 3, 4)), [(12, 16, 16), (16, 8, 8),
                                                                  (48, 4, 4), (160, 2, 2),
                                                                  (1280, 2, 2)]),
    (dict(type='CifarShuffleNetV1', out_indices=(0, 1, 2)), [(240, 16, 16), (480, 8, 8),
                                                             (960, 4, 4)]),
    (dict(type='CifarShuffleNetV2', out_indices=(0, 1, 2, 3)), [(116, 16, 16), (232, 8, 8),
                                                                (464, 4, 4), (1024, 4, 4)]),
])
def test_stage_outputs(backbone, shapes):
    model = MODELS.build(backbone)
    outputs = model(torch.randn(2, 3, 32, 32))
    assert [tuple(out.shape[1:]) for out in outputs] == shapes


@pytest.mark.parametrize('backbone, message', [
    (dict(type='CifarResNet', arch='resnet9'), r"no arch 'resnet9'.*resnet8x4"),
    (dict(type='CifarResNet', arch=dict(depth=10, channels=(16, 16, 32, 64))), 'depth = 6n'),
    (dict(type='CifarWideResNet', arch='wrn-28-10'), r"no arch 'wrn-28-10'"),
    (dict(type='CifarVGG', arch=((64, ), (128, ))), 'widths of 5 blocks'),
    (dict(type='CifarShuffleNetV2', arch='3.0x'), r"no arch '3.0x'"),
    (dict(type='CifarResNet', out_indices=(3, )), r'3 stages .* out_indices \[3\]'),
    (dict(type='CifarMobileNetV2', out_indices=4), 'non-empty sequence'),
])
def test_bad_arguments_are_named(backbone, message):
    with pytest.raises(ValueError, match=message):
        MODELS.build(backbone)
