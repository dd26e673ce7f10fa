"""tools/analysis: list_features.py and feature_similarity.py on the toy configs."""
import copy
import os.path as osp
import re
import subprocess
import sys

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import DefaultScope

from vkd_mm.registry import MODELS
from .conftest import REPO_ROOT, TOY_VKD_CONFIG
from .test_distiller import toy_batch

TOY_RETINANET_VKD = osp.join(REPO_ROOT, 'configs/toy/vkd_retinanet_r18-w16_r18-w32_toy-coco.py')
PNG_MAGIC = b'\x89PNG\r\n\x1a\n'


def run_tool(name: str, *args: str) -> str:
    result = subprocess.run([sys.executable, f'tools/analysis/{name}', *args],
                            cwd=REPO_ROOT,
                            capture_output=True,
                            text=True,
                            timeout=600)
    assert result.returncode == 0, (result.stdout + result.stderr)[-4000:]
    return result.stdout


def sources(out: str) -> dict:
    """path[index] -> the printed distill source, evaluated."""
    found = {}
    for line in out.splitlines():
        match = re.match(r'(\S+)\s+\(.*?\)\s+\d+\s+(dict\(.*?\))(\s+#.*)?$', line)
        if match:
            found[match.group(1)] = eval(match.group(2))  # noqa: S307  our own output
    return found


def build_toy_distiller(distill, config=TOY_VKD_CONFIG):
    cfg = Config.fromfile(config)
    model = copy.deepcopy(cfg.model)
    model.distill = distill
    model.data_preprocessor = cfg.data_preprocessor
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        return MODELS.build(model)


def test_list_features_prints_pasteable_sources_for_student_and_teacher():
    student = sources(run_tool('list_features.py', TOY_VKD_CONFIG, '--shape', '32'))
    teacher = sources(run_tool('list_features.py', TOY_VKD_CONFIG, '--shape', '32', '--teacher'))
    # ResNet-18 of width 8 (student) and 32 (teacher): the last stage has 8x / 32x channels
    assert student['backbone.layer4'] == dict(path='backbone.layer4', channels=64)
    assert teacher['backbone.layer4'] == dict(path='backbone.layer4', channels=256)
    assert student['neck[0]'] == dict(path='neck', index=0, channels=64)
    assert student['backbone.layer2.1.conv1'] == dict(path='backbone.layer2.1.conv1', channels=16)
    # the printed entries work as they are
    distiller = build_toy_distiller([
        dict(name='c3', student=student['backbone.layer3'], teacher=teacher['backbone.layer3']),
        dict(name='pooled', student=student['neck[0]'], teacher=teacher['neck[0]']),
    ])
    data = distiller.data_preprocessor(toy_batch(4), True)
    losses = distiller(**data, mode='loss')
    assert torch.isfinite(losses['loss_vkd_c3']) and torch.isfinite(losses['loss_vkd_pooled'])


def test_list_features_on_a_detector():
    out = run_tool('list_features.py', TOY_RETINANET_VKD, '--grep', 'neck')
    assert 'input (2, 3, 128, 128)' in out  # the test pipeline's Resize
    found = sources(out)
    # the student's FPN: three levels of 4 x 16 channels
    assert found['neck[0]'] == dict(path='neck', index=0, channels=64)
    assert found['neck[2]'] == dict(path='neck', index=2, channels=64)
    assert 'neck[3]' not in found


@pytest.fixture
def same_teacher_checkpoint(tmp_path):
    """A toy config whose teacher is the student's architecture, and a checkpoint in which the
    teacher has the student's weights."""
    config = tmp_path / 'same_teacher.py'
    config.write_text(f"""_base_ = [{TOY_VKD_CONFIG!r}]
model = dict(
    teacher=dict(backbone=dict(stem_channels=8, base_channels=8), head=dict(in_channels=64)),
    distill=[dict(name='pooled', student=dict(path='neck', index=0, channels=64),
                  teacher=dict(path='neck', index=0, channels=64))])
""")
    cfg = Config.fromfile(str(config))
    model_cfg = copy.deepcopy(cfg.model)
    model_cfg.data_preprocessor = cfg.data_preprocessor
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        distiller = MODELS.build(model_cfg)
    distiller.student.init_weights()
    distiller.teacher.load_state_dict(distiller.student.state_dict())
    checkpoint = tmp_path / 'same.pth'
    torch.save(dict(state_dict=distiller.state_dict()), checkpoint)
    return str(config), str(checkpoint)


def test_feature_similarity_finds_identical_layers(same_teacher_checkpoint, toy_data_root,
                                                   tmp_path):
    config, checkpoint = same_teacher_checkpoint
    out_dir = tmp_path / 'cka'
    out = run_tool('feature_similarity.py', config, '--checkpoint', checkpoint, '--batches', '2',
                   '--out-dir', str(out_dir), '--top-k', '3', '--cfg-options',
                   f'val_dataloader.dataset.data_root={toy_data_root}',
                   'val_dataloader.batch_size=8')
    png = out_dir / 'cka_heatmap.png'
    assert png.read_bytes()[:8] == PNG_MAGIC and png.stat().st_size > 5000
    rows = (out_dir / 'cka_table.csv').read_text().splitlines()
    header = rows[0].split(',')[1:]
    table = {row.split(',')[0]: [float(v) for v in row.split(',')[1:]] for row in rows[1:]}
    assert 'backbone.layer4' in table and header == list(table)
    for index, layer in enumerate(header):  # a layer against its copy
        assert table[layer][index] == pytest.approx(1.0, abs=1e-4), layer
    assert 'over 16 images of the val split' in out

    block = out[out.index('distill=['):]
    block = block[:block.index(']\n') + 1]
    distill = eval(block.split('=', 1)[1])  # noqa: S307  our own output
    assert len(distill) == 3
    scores = [float(s) for s in re.findall(r'# CKA ([0-9.]+)', block)]
    assert scores == pytest.approx([1.0] * 3, abs=1e-3)
    for pair in distill:  # the best match of a layer is its copy
        assert pair['student']['path'] == pair['teacher']['path']
        assert pair['student'].get('index') == pair['teacher'].get('index')
    # and the suggested pairs train as they are
    distiller = build_toy_distiller(distill, config)
    data = distiller.data_preprocessor(toy_batch(4), True)
    losses = distiller(**data, mode='loss')
    assert all(torch.isfinite(v) for k, v in losses.items() if k.startswith('loss_vkd'))
