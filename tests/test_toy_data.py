"""The generated data sets load through the stock OpenMMLab datasets and metrics."""
import json
import os.path as osp

import numpy as np
import pytest
import torch
from mmengine.registry import DefaultScope

from vkd_mm.datasets import (FASHION_COCO_CLASSES, FASHION_MNIST_APT, FASHION_MNIST_ROOT,
                             TOY_COCO_CLASSES, make_fashion_coco, make_toy_coco, make_toy_shapes,
                             missing_fashion_mnist_files)


@pytest.fixture(scope='module')
def toy_coco_root(tmp_path_factory):
    return make_toy_coco(str(tmp_path_factory.mktemp('toy_coco')), {'train': 6, 'val': 4})


def test_toy_shapes_in_custom_dataset_layout(toy_data_root):
    from mmpretrain.datasets import CustomDataset
    dataset = CustomDataset(data_root=toy_data_root, data_prefix='train', pipeline=[])
    assert len(dataset) == 6 * 8
    assert len(dataset.metainfo['classes']) == 6


def test_generation_is_deterministic_and_skipped_when_present(tmp_path):
    first = make_toy_shapes(str(tmp_path / 'a'), {'train': 2})
    second = make_toy_shapes(str(tmp_path / 'b'), {'train': 2})
    import cv2
    for name in ('circle', 'bar'):
        a = cv2.imread(osp.join(first, 'train', name, '00001.png'))
        b = cv2.imread(osp.join(second, 'train', name, '00001.png'))
        assert np.array_equal(a, b)
    stamp = osp.getmtime(osp.join(first, 'train', 'circle', '00000.png'))
    make_toy_shapes(first, {'train': 2})
    assert osp.getmtime(osp.join(first, 'train', 'circle', '00000.png')) == stamp


def test_toy_coco_boxes_are_valid(toy_coco_root):
    with open(osp.join(toy_coco_root, 'annotations', 'instances_train.json')) as f:
        coco = json.load(f)
    assert [c['name'] for c in coco['categories']] == list(TOY_COCO_CLASSES)
    assert len(coco['images']) == 6 and len(coco['annotations']) >= 6
    for ann in coco['annotations']:
        x, y, w, h = ann['bbox']
        assert w > 2 and h > 2 and x >= 0 and y >= 0 and x + w <= 128 and y + h <= 128


def test_toy_coco_scores_through_mmdet_coco_dataset_and_metric(toy_coco_root):
    """Ground-truth boxes submitted as predictions get bbox mAP 1.0 from CocoMetric."""
    from mmdet.datasets import CocoDataset
    from mmdet.evaluation import CocoMetric
    with DefaultScope.overwrite_default_scope('mmdet'):
        dataset = CocoDataset(
            data_root=toy_coco_root,
            ann_file='annotations/instances_val.json',
            data_prefix=dict(img='val/'),
            metainfo=dict(classes=TOY_COCO_CLASSES),
            test_mode=True,
            pipeline=[])
        metric = CocoMetric(
            ann_file=osp.join(toy_coco_root, 'annotations/instances_val.json'), metric='bbox')
        metric.dataset_meta = dataset.metainfo
        for index in range(len(dataset)):
            info = dataset.get_data_info(index)
            boxes = torch.tensor([inst['bbox'] for inst in info['instances']])
            labels = torch.tensor([inst['bbox_label'] for inst in info['instances']])
            metric.process({}, [
                dict(
                    img_id=info['img_id'],
                    ori_shape=(128, 128),
                    pred_instances=dict(
                        bboxes=boxes, labels=labels, scores=torch.ones(len(labels))))
            ])
        results = metric.evaluate(len(dataset))
    assert results['coco/bbox_mAP'] == pytest.approx(1.0)


@pytest.mark.skipif(
    bool(missing_fashion_mnist_files()),
    reason=f'Fashion-MNIST is not installed in {FASHION_MNIST_ROOT} '
    f'(`{FASHION_MNIST_APT}`)')
def test_fashion_mnist_scenes_read_by_coco_dataset(tmp_path):
    """Real Fashion-MNIST items composed into COCO scenes: deterministic from the seed, several
    items of varied size per scene, every box inside the image, read by CocoDataset."""
    import cv2
    from mmdet.datasets import CocoDataset
    splits = {'train': 8, 'val': 6}
    root = make_fashion_coco(str(tmp_path / 'a'), splits, seed=3)
    again = make_fashion_coco(str(tmp_path / 'b'), splits, seed=3)
    for split in splits:
        with open(osp.join(root, 'annotations', f'instances_{split}.json')) as f:
            coco = json.load(f)
        with open(osp.join(again, 'annotations', f'instances_{split}.json')) as f:
            assert json.load(f) == coco
        assert np.array_equal(
            cv2.imread(osp.join(root, split, '00001.png')),
            cv2.imread(osp.join(again, split, '00001.png')))
        assert [c['name'] for c in coco['categories']] == list(FASHION_COCO_CLASSES)
        per_image = np.bincount([a['image_id'] for a in coco['annotations']])
        assert len(coco['images']) == splits[split] and per_image.max() >= 2
        sides = [max(a['bbox'][2:]) for a in coco['annotations']]
        assert max(sides) - min(sides) >= 8
        for ann in coco['annotations']:
            x, y, w, h = ann['bbox']
            assert w > 2 and h > 2 and x >= 0 and y >= 0 and x + w <= 128 and y + h <= 128
    with DefaultScope.overwrite_default_scope('mmdet'):
        dataset = CocoDataset(
            data_root=root,
            ann_file='annotations/instances_val.json',
            data_prefix=dict(img='val/'),
            metainfo=dict(classes=FASHION_COCO_CLASSES),
            test_mode=True,
            pipeline=[dict(type='LoadImageFromFile'),
                      dict(type='LoadAnnotations', with_bbox=True)])
        assert len(dataset) == 6
        sample = dataset[0]
        assert sample['img'].shape == (128, 128, 3) and len(sample['gt_bboxes']) >= 1
