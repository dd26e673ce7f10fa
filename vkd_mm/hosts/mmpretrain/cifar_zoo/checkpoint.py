"""CRD / mdistiller CIFAR checkpoints -> an MMPretrain ``ImageClassifier`` over the CIFAR zoo.

The released CIFAR-100 teachers of the CRD code (https://github.com/HobbitLong/RepDistiller,
``ckpt_epoch_240.pth``, also used by megvii-research/mdistiller) store the plain model's state
dict under ``model``; some forks use ``net``, ``state_dict`` or a bare state dict, with a
``module.`` prefix after DDP. Key mapping, CRD -> ours:

- the classifier, ``fc.*`` (ResNet, WRN), ``linear.*`` (ResNet-50, ShuffleNets),
  ``classifier.*`` (VGG) or ``classifier.0.*`` (MobileNetV2) -> ``head.fc.*``
  (MMPretrain's ``LinearClsHead``);
- every other key ``k`` -> ``backbone.k``, with ``layerK.i.shortcut.*`` ->
  ``layerK.i.downsample.*`` (ResNet-50, whose backbone is MMPretrain's ``ResNet_CIFAR``), and
  ``blockK.layer.i.*`` -> ``blockK.i.*``, ``convShortcut`` -> ``conv_shortcut`` (WRN).
"""
import re
from collections import OrderedDict
from typing import Dict, Mapping

import torch

from vkd_mm.utils import extract_state_dict

__all__ = ['convert_crd_cifar', 'crd_state_dict']

_HEAD = re.compile(r'(fc|linear|classifier(\.0)?)\.(weight|bias)')
# (CRD pattern, ours) on backbone keys
_BACKBONE_RULES = (
    (re.compile(r'\.shortcut\.'), '.downsample.'),
    (re.compile(r'^(block\d)\.layer\.'), r'\1.'),
    (re.compile(r'\.convShortcut\.'), '.conv_shortcut.'),
)


def crd_state_dict(checkpoint: Mapping) -> 'OrderedDict[str, torch.Tensor]':
    """The model weights of a CRD-style checkpoint: under ``model``, ``net`` or
    ``state_dict``, or bare; without a ``module.`` prefix."""
    net = checkpoint.get('net')
    return extract_state_dict(net if isinstance(net, Mapping) else checkpoint)


def convert_crd_cifar(state_dict: Mapping[str, torch.Tensor]) -> Dict[str, torch.Tensor]:
    """A CRD CIFAR model's state dict -> the keys of an ``ImageClassifier`` whose backbone is
    the matching CIFAR zoo backbone (or ``ResNet_CIFAR`` depth 50 for the CRD ResNet-50) with a
    ``LinearClsHead``.

    The keys are renamed only; :func:`vkd_mm.utils.load_state_dict_checked` against the built
    model (as ``tools/convert_cifar_checkpoint.py`` does) names every missing, unknown or
    wrongly shaped key.

    Raises:
        ValueError: if the state dict has no classifier, or keys of more than one.
    """
    converted: Dict[str, torch.Tensor] = OrderedDict()
    heads = set()
    for key, value in state_dict.items():
        if match := _HEAD.fullmatch(key):
            heads.add(key.rsplit('.', 1)[0])
            converted[f'head.fc.{match[3]}'] = value
            continue
        for pattern, replacement in _BACKBONE_RULES:
            key = pattern.sub(replacement, key)
        converted['backbone.' + key] = value
    if len(heads) != 1:
        found = sorted(heads) or 'none'
        raise ValueError('a CRD CIFAR checkpoint has one linear classifier (fc, linear, '
                         f'classifier or classifier.0); found {found}. Is it a CRD / mdistiller '
                         'CIFAR model state dict?')
    return converted
