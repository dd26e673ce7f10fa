"""V_kD between stock mmdet detectors through the real tools: train, export, COCO AP."""
import os.path as osp
import subprocess
import sys

import pytest
import torch

from vkd_mm.datasets import make_toy_coco
from .conftest import REPO_ROOT

STUDENT = osp.join(REPO_ROOT, 'configs/toy/retinanet_r18-w16_toy-coco.py')
VKD = osp.join(REPO_ROOT, 'configs/toy/vkd_retinanet_r18-w16_r18-w32_toy-coco.py')


def data_options(root):
    return [
        f'train_dataloader.dataset.data_root={root}/', f'val_dataloader.dataset.data_root={root}/',
        f'test_dataloader.dataset.data_root={root}/',
        f'val_evaluator.ann_file={root}/annotations/instances_val.json',
        f'test_evaluator.ann_file={root}/annotations/instances_val.json'
    ]


@pytest.fixture(scope='module')
def toy_coco(tmp_path_factory):
    return make_toy_coco(str(tmp_path_factory.mktemp('toy_coco')), {'train': 8, 'val': 4})


def run(args, cwd=REPO_ROOT):
    result = subprocess.run(
        [sys.executable] + args, cwd=cwd, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, (result.stdout + result.stderr)[-4000:]
    return result.stdout + result.stderr


def test_distil_export_and_evaluate_a_detector(toy_coco, tmp_path):
    work_dir = str(tmp_path / 'vkd')
    log = run([
        'tools/train.py', VKD, '--work-dir', work_dir, '--cfg-options', 'train_cfg.max_epochs=1',
        'train_cfg.val_interval=1', 'default_hooks.logger.interval=1'
    ] + data_options(toy_coco))
    for level in ('p3', 'p4', 'p5'):
        assert f'loss_vkd_{level}' in log
    assert 'coco/bbox_mAP' in log

    exported = str(tmp_path / 'student.pth')
    run(['tools/export_student.py', osp.join(work_dir, 'epoch_1.pth'), exported])
    state = torch.load(exported, weights_only=False)['state_dict']
    assert not any(k.startswith(('teacher', 'pairs')) for k in state)

    log = run(
        ['tools/test.py', STUDENT, exported, '--work-dir',
         str(tmp_path / 'test'), '--cfg-options'] + data_options(toy_coco))
    assert 'coco/bbox_mAP:' in log and 'coco/bbox_mAP_50:' in log
