"""V_kD for ViDT: the official token pairs, a frozen ViDT teacher, the real launcher and tools."""
import os
import os.path as osp
import subprocess
import sys

import pytest
from mmdet.registry import MODELS
from mmengine.config import Config

from vkd_mm.datasets import make_toy_coco
from .conftest import REPO_ROOT
from .test_vidt import detection_batch

pytestmark = pytest.mark.usefixtures('mmdet_scope')
TOY_VKD = osp.join(REPO_ROOT, 'configs/toy/vkd_vidt_swin-nano_toy-coco.py')
COCO_VKD = osp.join(REPO_ROOT, 'configs/vidt_swin_nano_vkd.py')
COCO_NANO = osp.join(REPO_ROOT, 'configs/vidt/vidt_swin-nano_8xb2-50e_coco.py')
PAIRS = ('patch8', 'patch16', 'patch32', 'patch64', 'body', 'neck')


@pytest.fixture(scope='module')
def toy_coco(tmp_path_factory):
    return make_toy_coco(str(tmp_path_factory.mktemp('toy_coco')), {'train': 8, 'val': 4})


def test_vkd_terms_train_the_student_and_projectors_only():
    distiller = MODELS.build(Config.fromfile(TOY_VKD).model)
    distiller.init_weights()
    distiller.train()
    assert not distiller.teacher.training
    assert not any(p.requires_grad for p in distiller.teacher.parameters())

    inputs, samples = detection_batch([(96, 96), (80, 96)], (96, 96), num_classes=3)
    losses = distiller(inputs, samples, mode='loss')
    assert {f'loss_vkd_{name}' for name in PAIRS} <= set(losses)
    assert 'loss_cls' in losses and 'd0.loss_bbox' in losses
    # uncorrelated standardised tokens: smooth-L1 ~ 0.7, times the weight 4
    for name in PAIRS:
        assert 1.0 < losses[f'loss_vkd_{name}'].item() < 6.0
    sum(losses.values()).backward()
    assert all(p.grad is not None for p in distiller.pairs.parameters())
    assert all(p.grad is None for p in distiller.teacher.parameters())


def test_neck_pair_flattens_all_seven_levels():
    distiller = MODELS.build(Config.fromfile(TOY_VKD).model)
    inputs, samples = detection_batch([(64, 64)], (64, 64), num_classes=3)
    _, feats = distiller.forward_student(inputs, samples)
    assert feats['neck'].shape == (7, 1, 20, 256)
    assert feats['body'].shape == (1, 256, 20, 1)
    pair = distiller.pairs['neck']
    assert pair.student_source.reduce(feats['neck']).shape == (7 * 20, 256)


def data_options(root, *loaders):
    """--cfg-options that point COCO loaders (and their evaluators) at the toy set."""
    options = []
    for loader in loaders:
        split = 'train' if loader == 'train' else 'val'
        dataset = f'{loader}_dataloader.dataset'
        options += [
            f'{dataset}.data_root={root}/',
            f'{dataset}.ann_file={root}/annotations/instances_{split}.json',
            f'{dataset}.data_prefix.img={split}/',
            f'{dataset}.metainfo.classes=(circle,square,triangle)'
        ]
        if loader != 'train':
            options.append(f'{loader}_evaluator.ann_file={root}/annotations/instances_val.json')
    return options


def test_coco_config_trains_with_two_gloo_processes_and_tests(toy_coco, tmp_path):
    """`tools/dist_train.sh configs/vidt_swin_nano_vkd.py 2` with the data swapped to the toy
    set, 3 classes for the student, and a nano teacher to keep CPU time down), then export and
    `tools/test.py`."""
    work_dir = str(tmp_path / 'vkd')
    options = data_options(toy_coco, 'train', 'val') + [
        'train_dataloader.dataset.indices=4', 'train_cfg.max_epochs=1',
        'default_hooks.logger.interval=1', 'model.student.backbone.init_cfg=None',
        'model.student.bbox_head.num_classes=3', 'model.teacher_ckpt=None',
        f'model.teacher={COCO_NANO}'
    ]
    env = dict(
        os.environ,
        PATH=osp.dirname(sys.executable) + os.pathsep + os.environ['PATH'],
        PORT='29631')
    result = subprocess.run([
        'bash', 'tools/dist_train.sh', COCO_VKD, '2', '--work-dir', work_dir, '--cfg-options',
        *options
    ],
                            cwd=REPO_ROOT,
                            env=env,
                            capture_output=True,
                            text=True,
                            timeout=900)
    log = result.stdout + result.stderr
    assert result.returncode == 0, log[-4000:]
    assert 'Distributed training: True' in log
    for name in PAIRS:
        assert f'loss_vkd_{name}' in log
    assert 'coco/bbox_mAP:' in log  # the validation after the last epoch, both ranks

    exported = str(tmp_path / 'student.pth')
    subprocess.run(
        [sys.executable, 'tools/export_student.py',
         osp.join(work_dir, 'epoch_1.pth'), exported],
        cwd=REPO_ROOT,
        check=True,
        capture_output=True,
        timeout=300)
    test_options = data_options(
        toy_coco, 'test') + ['model.backbone.init_cfg=None', 'model.bbox_head.num_classes=3']
    result = subprocess.run([
        sys.executable, 'tools/test.py', COCO_NANO, exported, '--work-dir',
        str(tmp_path / 'test'), '--cfg-options', *test_options
    ],
                            cwd=REPO_ROOT,
                            capture_output=True,
                            text=True,
                            timeout=600)
    log = result.stdout + result.stderr
    assert result.returncode == 0, log[-4000:]
    assert 'coco/bbox_mAP:' in log and 'coco/bbox_mAP_50:' in log
