"""The configs of the paper's ablation rows differ from their base config in exactly what the row
changes: Table 3 (teacher, token matching against V_kD), Table 6 (projector x normalisation)
and the DeiT-Ti batch of the official script. Resolved configs only; test_configs.py builds and
trains one step of each."""
import copy
import os.path as osp

import pytest
from mmengine.config import Config

from .conftest import REPO_ROOT


def resolved(relpath: str) -> dict:
    return Config.fromfile(osp.join(REPO_ROOT, 'configs', relpath)).to_dict()


def without(cfg: dict, *paths: str) -> dict:
    """A copy of ``cfg`` without the dotted ``paths``."""
    cfg = copy.deepcopy(cfg)
    for path in paths:
        *parents, leaf = path.split('.')
        node = cfg
        for key in parents:
            node = node[key]
        node.pop(leaf)
    return cfg


DEIT_TINY = 'deit/vkd_deit-tiny_regnety160_2xb256-300e_in1k.py'
TABLE_6 = {
    # config: (projector type, teacher normaliser type or None)
    DEIT_TINY: ('OrthogonalProjector', 'SampleLayerNorm'),
    'deit/vkd-nonorm_deit-tiny_regnety160_2xb256-300e_in1k.py': ('OrthogonalProjector', None),
    'deit/vkd-linear_deit-tiny_regnety160_2xb256-300e_in1k.py':
    ('LinearProjector', 'SampleLayerNorm'),
    'deit/vkd-linear-nonorm_deit-tiny_regnety160_2xb256-300e_in1k.py': ('LinearProjector', None),
}


@pytest.mark.parametrize('relpath', TABLE_6)
def test_table6_rows_change_only_projector_and_normaliser(relpath):
    cfg, base = resolved(relpath), resolved(DEIT_TINY)
    (pair, ), (base_pair, ) = cfg['model']['distill'], base['model']['distill']
    projector, norm = TABLE_6[relpath]
    assert pair['projector']['type'] == projector
    assert (pair['teacher_norm'] or {}).get('type') == norm
    assert without(pair, 'projector', 'teacher_norm') == \
        without(base_pair, 'projector', 'teacher_norm')
    assert without(cfg, 'model.distill') == without(base, 'model.distill')


def test_official_batch_config_changes_only_the_batch():
    cfg = resolved('deit/vkd_deit-tiny_regnety160_2xb512-300e_in1k.py')
    base = resolved(DEIT_TINY)
    assert (cfg['train_dataloader']['batch_size'], base['train_dataloader']['batch_size']) == \
        (512, 256)
    assert without(cfg, 'train_dataloader.batch_size') == \
        without(base, 'train_dataloader.batch_size')


VKD_BASE = 'vidt_swin_nano_vkd.py'
TM_BASE = 'vidt/token-matching_vidt_swin-nano_swin-base_8xb2-50e_coco.py'
SMALL_TEACHER = ('vidt_swin-small_8xb2-50e_coco.py', 'checkpoints/vidt_swin-small_150e_coco.pth')


@pytest.mark.parametrize('relpath, base', [
    ('vidt/vkd_vidt_swin-nano_swin-small_8xb2-50e_coco.py', VKD_BASE),
    ('vidt/token-matching_vidt_swin-nano_swin-small_8xb2-50e_coco.py', TM_BASE),
])
def test_table3_small_teacher_rows_change_only_the_teacher(relpath, base):
    cfg, base_cfg = resolved(relpath), resolved(base)
    assert osp.basename(cfg['model']['teacher']) == SMALL_TEACHER[0]
    assert cfg['model']['teacher_ckpt'] == SMALL_TEACHER[1]
    assert osp.basename(base_cfg['model']['teacher']) == 'vidt_swin-base_8xb2-50e_coco.py'
    assert without(cfg, 'model.teacher', 'model.teacher_ckpt') == \
        without(base_cfg, 'model.teacher', 'model.teacher_ckpt')


def test_token_matching_uses_the_vkd_tokens_without_projector_or_normaliser():
    token_matching, vkd = resolved(TM_BASE)['model'], resolved(VKD_BASE)['model']
    assert token_matching['type'] == 'TokenMatchingDistiller'
    assert token_matching['loss_weight'] == 4.0
    for name in ('student', 'teacher', 'teacher_ckpt'):
        assert token_matching[name] == vkd[name], name
    sources = [(p['name'], p['student'], p['teacher']) for p in token_matching['distill']]
    assert sources == [(p['name'], p['student'], p['teacher']) for p in vkd['distill']]
    for pair in token_matching['distill']:
        assert pair['projector'] is None and pair['teacher_norm'] is None
        assert 'student_norm' not in pair
        weight = 7.0 if pair['name'] == 'neck' else 1.0
        assert pair['loss'] == dict(type='TokenMatchingLoss', loss_weight=weight)
