"""The detection demo: its table and figures from fixed inputs, and every stage in --quick."""
import json
import os.path as osp
import pickle
import runpy
import subprocess
import sys

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


def test_quick_demo_runs_every_stage_and_resumes_from_its_cache(tmp_path):
    """--quick with the Swin-tiny teacher, all three rows and a one-point budget curve trains
    and evaluates each model once (4 images, 1 epoch; about 2 minutes on 2 cores); a second call
    trains nothing, every run coming from the cache."""
    command = [
        sys.executable, 'tools/toy_det_demo.py', '--quick', '--teacher', 'swin-tiny', '--rows',
        'student', 'token-matching', 'vkd', '--budget-curve', '1', '--work-dir',
        str(tmp_path)
    ]
    first = subprocess.run(command, cwd=REPO_ROOT, capture_output=True, text=True, timeout=900)
    assert first.returncode == 0, first.stdout[-3000:] + first.stderr[-3000:]
    for row in ('teacher (ViDT Swin-tiny, 1 epochs)', 'student alone (ViDT Swin-nano)',
                'student + token matching (ViDT)', 'student + V_kD'):
        assert f'| {row} | ' in first.stdout, row
    assert '| 1 | 1 | ' in first.stdout  # the budget curve: 1 epoch of 1 iteration
    # the budget curve's run is the table's student alone: trained once
    assert first.stdout.count('student alone (ViDT Swin-nano), seed 0: 1 epochs, cached') == 1
    for figure in ('budget_curve.png', 'predictions.png', 'training_curves.png'):
        assert osp.isfile(tmp_path / figure), figure
    second = subprocess.run(command, cwd=REPO_ROOT, capture_output=True, text=True, timeout=900)
    assert second.returncode == 0, second.stdout[-3000:] + second.stderr[-3000:]
    assert 'teacher: cached' in second.stdout
    assert second.stdout.count(': 1 epochs, cached') == 4
    assert second.stdout.count('2 processes (elapsed') == 0
    assert 'commit: ' in first.stdout and 'machine: ' in first.stdout

    def table(out: str):
        return [line for line in out[out.index('Toy detection'):].splitlines() if line[:1] == '|']

    assert len(table(first.stdout)) == 6 and table(first.stdout) == table(second.stdout)


def test_check_numerics_compares_the_first_iteration_with_kept_digests(tmp_path):
    """--check-numerics traces the teacher's first iteration into a digest and compares it with
    the digests of the same settings it is given: a second call on the same machine is bitwise
    equal to the first."""

    def check(work_dir: str) -> str:
        command = [
            sys.executable, 'tools/toy_det_demo.py', '--quick', '--check-numerics', '--work-dir',
            str(tmp_path / work_dir), '--numerics-records',
            str(tmp_path / 'records')
        ]
        result = subprocess.run(command, cwd=REPO_ROOT, capture_output=True, text=True, timeout=600)
        assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
        return result.stdout

    first = check('first')
    stem = 'vidt_swin-nano_shapes-4_1e_avx2'
    assert f'no digest {stem}_*.json in {tmp_path / "records"}' in first
    digest = tmp_path / 'first' / 'numerics' / f'{stem}_this-machine.json'
    trace = json.loads(digest.read_text())
    assert trace['settings']['MKL_CBWR'] == 'AVX2' and trace['settings']['torch_threads'] == '1'
    (tmp_path / 'records').mkdir()
    (tmp_path / 'records' / f'{stem}_first-call.json').write_text(digest.read_text())

    second = check('second')
    assert f'{stem}_first-call.json: bitwise equal: all {len(trace["entries"])} tensors' in second
    assert 'teacher:' not in second  # nothing trained
