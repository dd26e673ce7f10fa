"""The detection demo's pieces that need no training: its table and its figures."""
import json
import os.path as osp
import pickle
import runpy

import cv2
import numpy as np
import pytest
import torch

from vkd_mm.experiments import det_figures
from .conftest import REPO_ROOT


def test_table_prints_mean_and_spread():
    """The teacher's single value fills the first seed's column."""
    demo = runpy.run_path(osp.join(REPO_ROOT, 'tools/toy_det_demo.py'))
    args = type('Args', (),
                dict(seeds=[0, 1], source='shapes', val_images=200, epochs=3, teacher_epochs=12))
    text = demo['table']([('teacher', [0.4]), ('student', [0.2, 0.3])], args)
    assert '| model | seed 0 | seed 1 | mean | std |\n|---|---|---|---|---|' in text
    assert '| teacher | 0.400 |  | 0.400 | 0.000 |' in text
    assert '| student | 0.200 | 0.300 | 0.250 | 0.071 |' in text


@pytest.fixture
def detection_outputs(tmp_path):
    """Two images, COCO annotations, two prediction dumps and two scalars.json files."""
    images, annotations, dumps = [], [], {'student': [], 'vkd': []}
    for image_id in (1, 2):
        path = str(tmp_path / f'{image_id}.png')
        cv2.imwrite(path, np.full((64, 64, 3), 80, np.uint8))
        images.append(dict(id=image_id, file_name=f'{image_id}.png', width=64, height=64))
        annotations.append(
            dict(
                id=image_id,
                image_id=image_id,
                category_id=1,
                bbox=[10, 10, 20, 20],
                area=400,
                iscrowd=0))
        for kind, score in (('student', 0.2), ('vkd', 0.9)):
            dumps[kind].append(
                dict(
                    img_id=image_id,
                    img_path=path,
                    pred_instances=dict(
                        bboxes=torch.tensor([[12.0, 11.0, 30.0, 32.0]]),
                        scores=torch.tensor([score]),
                        labels=torch.tensor([0]))))
    coco = tmp_path / 'instances_val.json'
    coco.write_text(
        json.dumps(
            dict(images=images, annotations=annotations, categories=[dict(id=1, name='circle')])))
    files = {}
    for kind, samples in dumps.items():
        files[kind] = str(tmp_path / f'{kind}.pkl')
        with open(files[kind], 'wb') as file:
            pickle.dump(samples, file)
        records = [
            dict(iter=i, loss=3.0 - i / 10, loss_cls=1.0 - i / 20, loss_bbox=1.0, loss_iou=0.5)
            for i in range(1, 4)
        ]
        if kind == 'vkd':
            for record in records:
                record.update(loss_vkd_neck=1.2, loss_vkd_body=0.4)
        records.append({'coco/bbox_mAP': 0.5, 'step': 3})
        files[kind + '_scalars'] = str(tmp_path / f'{kind}_scalars.json')
        with open(files[kind + '_scalars'], 'w') as file:
            file.write('\n'.join(json.dumps(r) for r in records))
    files['coco'] = str(coco)
    return files


def test_read_scalars_keeps_training_losses(detection_outputs):
    series = det_figures.read_scalars(detection_outputs['vkd_scalars'])
    assert series['loss_cls'] == [(1, 0.95), (2, 0.9), (3, 0.85)]
    assert [v for _, v in series['loss_vkd_neck']] == [1.2] * 3
    assert 'coco/bbox_mAP' not in series


def pixels_near(image: np.ndarray, rgb: tuple, tolerance: int = 40) -> int:
    """How many pixels of a BGR image are within ``tolerance`` of ``rgb`` in every channel."""
    return int((np.abs(image[..., ::-1].astype(int) - rgb) <= tolerance).all(-1).sum())


LIME, RED = (0, 255, 0), (255, 0, 0)
# matplotlib's first two default line colours (the runs, or the two V_kD terms)
FIRST_LINE, SECOND_LINE = (0x1f, 0x77, 0xb4), (0xff, 0x7f, 0x0e)


def test_prediction_figure_draws_ground_truth_and_boxes_above_the_threshold(
        detection_outputs, tmp_path):
    """Left column the student (score 0.2), right the distilled one (0.9), threshold 0.3: ground
    truth (lime) in both, a prediction box (red) only on the right."""
    out = str(tmp_path / 'predictions.png')
    det_figures.plot_predictions(
        detection_outputs['student'],
        detection_outputs['vkd'],
        detection_outputs['coco'],
        out,
        seed=0,
        score_thr=0.3)
    image = cv2.imread(out)
    left, right = np.array_split(image, 2, axis=1)
    assert pixels_near(left, LIME) > 0 and pixels_near(right, LIME) > 0
    assert pixels_near(left, RED) == 0 and pixels_near(right, RED) > 0


def test_curve_figure_draws_both_runs_and_every_vkd_term(detection_outputs, tmp_path):
    """Three loss panels with a line per run, then one panel with a line per V_kD term."""
    out = str(tmp_path / 'curves.png')
    det_figures.plot_training_curves(
        dict(student=detection_outputs['student_scalars'], vkd=detection_outputs['vkd_scalars']),
        out,
        seed=0)
    image = cv2.imread(out)
    panels = np.array_split(image, 4, axis=1)
    for panel in panels:
        assert pixels_near(panel, FIRST_LINE) > 0 and pixels_near(panel, SECOND_LINE) > 0
