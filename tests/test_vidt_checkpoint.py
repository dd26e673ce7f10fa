"""Official ViDT checkpoints <-> vkd_mm's ViDT: key names, shapes, 91 -> 80 classes."""
import os.path as osp
import subprocess
import sys

import pytest
import torch
from mmdet.registry import MODELS
from mmengine.config import Config
from mmengine.runner import load_checkpoint

from vkd_mm.hosts.mmdet import convert_official_vidt, to_official_vidt
from vkd_mm.hosts.mmdet.vidt_checkpoint import COCO_CATEGORY_IDS
from .conftest import REPO_ROOT

pytestmark = pytest.mark.usefixtures('mmdet_scope')
NANO = osp.join(REPO_ROOT, 'configs/vidt/vidt_swin-nano_8xb2-50e_coco.py')


@pytest.fixture(scope='module')
def nano(mmdet_scope):
    cfg = Config.fromfile(NANO).model
    cfg.backbone.init_cfg = None
    model = MODELS.build(cfg)
    model.init_weights()
    return model


def official_nano_tree():
    """Key -> shape of the official ViDT Swin-nano detector (100 [DET] tokens, 91 classes,
    aux loss, box refinement) outside the backbone, as `methods/vidt/detector.py` and
    `deformable_transformer.py` build it."""
    tree = {
        'transformer.level_embed': (4, 256),
        'transformer.reference_points.weight': (2, 256),
        'transformer.reference_points.bias': (2, )
    }
    for i, channels in enumerate((96, 192, 384, 256)):
        tree.update({
            f'input_proj.{i}.0.weight': (256, channels, 1, 1),
            f'input_proj.{i}.0.bias': (256, ),
            f'input_proj.{i}.1.weight': (256, ),
            f'input_proj.{i}.1.bias': (256, )
        })
    for name, channels in (('tgt_proj', 384), ('query_pos_proj', 256)):
        tree.update({
            f'{name}.0.weight': (256, channels, 1, 1),
            f'{name}.0.bias': (256, ),
            f'{name}.1.weight': (256, ),
            f'{name}.1.bias': (256, )
        })
    layer = {
        'cross_attn.sampling_offsets.weight': (256, 256),
        'cross_attn.sampling_offsets.bias': (256, ),
        'cross_attn.attention_weights.weight': (128, 256),
        'cross_attn.attention_weights.bias': (128, ),
        'cross_attn.value_proj.weight': (256, 256),
        'cross_attn.value_proj.bias': (256, ),
        'cross_attn.output_proj.weight': (256, 256),
        'cross_attn.output_proj.bias': (256, ),
        'self_attn.in_proj_weight': (768, 256),
        'self_attn.in_proj_bias': (768, ),
        'self_attn.out_proj.weight': (256, 256),
        'self_attn.out_proj.bias': (256, ),
        'linear1.weight': (1024, 256),
        'linear1.bias': (1024, ),
        'linear2.weight': (256, 1024),
        'linear2.bias': (256, )
    }
    for norm in ('norm1', 'norm2', 'norm3'):
        layer.update({f'{norm}.weight': (256, ), f'{norm}.bias': (256, )})
    for i in range(6):
        tree.update({f'transformer.decoder.layers.{i}.{k}': v for k, v in layer.items()})
    mlp = {
        'layers.0.weight': (256, 256),
        'layers.0.bias': (256, ),
        'layers.1.weight': (256, 256),
        'layers.1.bias': (256, ),
        'layers.2.weight': (4, 256),
        'layers.2.bias': (4, )
    }
    for i in range(7):
        tree.update({f'class_embed.{i}.weight': (91, 256), f'class_embed.{i}.bias': (91, )})
        for prefix in ('bbox_embed', 'transformer.decoder.bbox_embed'):
            tree.update({f'{prefix}.{i}.{k}': v for k, v in mlp.items()})
    return tree


def test_round_trip_is_exact(nano):
    state = nano.state_dict()
    back = convert_official_vidt(to_official_vidt(state))
    assert set(back) == set(state)
    for key, value in state.items():
        assert torch.equal(back[key], value), key


def test_official_layout_matches_the_official_module_tree(nano):
    official = to_official_vidt(nano.state_dict())
    shapes = {k: tuple(v.shape) for k, v in official.items() if not k.startswith('backbone.')}
    expected = official_nano_tree()
    # level_embed is created but never used by the official code; we have no such parameter
    del expected['transformer.level_embed']
    assert shapes == expected

    backbone = {k: tuple(v.shape) for k, v in official.items() if k.startswith('backbone.')}
    assert backbone['backbone.det_token'] == (1, 100, 48)
    assert backbone['backbone.det_pos_embed'] == (1, 100, 256)
    assert backbone['backbone.layers.2.blocks.5.attn.relative_position_bias_table'] == (169, 12)
    assert backbone['backbone.layers.2.blocks.5.attn.relative_position_index'] == (49, 49)
    assert backbone['backbone.layers.3.blocks.1.det_pos_linear.weight'] == (384, 256)
    assert backbone['backbone.layers.3.downsample.reduction.weight'] == (256, 1536)
    assert backbone['backbone.layers.0.downsample.norm.weight'] == (192, )


def test_official_unused_parameters_are_dropped_and_classes_remapped(nano):
    official = to_official_vidt(nano.state_dict())
    official['transformer.level_embed'] = torch.zeros(4, 256)
    official['backbone.norm3.weight'] = torch.ones(384)
    official['backbone.layers.1.downsample.expansion.weight'] = torch.zeros(192, 96)
    rows = torch.randn(91, 256)
    official['class_embed.6.weight'] = rows
    converted = convert_official_vidt(official)
    assert not any('level_embed' in k or 'norm3' in k or 'expansion' in k for k in converted)
    weight = converted['bbox_head.cls_branches.6.weight']
    assert weight.shape == (80, 256)
    # class 0 is COCO id 1 (person), class 79 is id 90 (toothbrush)
    torch.testing.assert_close(weight[0], rows[1])
    torch.testing.assert_close(weight[79], rows[90])
    assert len(COCO_CATEGORY_IDS) == 80 == len(set(COCO_CATEGORY_IDS))


def test_unsupported_and_unknown_keys_are_named(nano):
    official = to_official_vidt(nano.state_dict())
    with pytest.raises(ValueError, match='iou_aware'):
        convert_official_vidt({**official, 'iou_embed.0.layers.0.weight': torch.zeros(1)})
    with pytest.raises(ValueError, match='projector.weight'):
        convert_official_vidt({**official, 'projector.weight': torch.zeros(1)})


def test_convert_tool_output_loads_strictly(nano, tmp_path):
    source = str(tmp_path / 'vidt_nano_official.pth')
    torch.save({'model': to_official_vidt(nano.state_dict()), 'epoch': 49}, source)
    target = str(tmp_path / 'vidt_nano_mmdet.pth')
    result = subprocess.run([sys.executable, 'tools/convert_vidt_checkpoint.py', source, target],
                            cwd=REPO_ROOT,
                            capture_output=True,
                            text=True,
                            timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]

    cfg = Config.fromfile(NANO).model
    cfg.backbone.init_cfg = None
    fresh = MODELS.build(cfg)
    load_checkpoint(fresh, target, strict=True)
    for key, value in nano.state_dict().items():
        assert torch.equal(fresh.state_dict()[key], value), key
