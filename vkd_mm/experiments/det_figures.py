"""The toy detection demo's figures (tools/toy_det_demo.py): two students' predictions side by
side, training curves, and bbox mAP against the training budget.

Inputs are what the tools write: ``tools/test.py --out`` prediction dumps (a list of data-sample
dicts with ``img_path``, ``img_id`` and ``pred_instances``), COCO annotations, and MMEngine's
``vis_data/scalars.json`` (one JSON record per logged iteration).
"""
import json
import pickle
from collections import defaultdict
from typing import Dict, List, Optional, Tuple

import matplotlib

matplotlib.use('Agg')
import matplotlib.patches as patches
import matplotlib.pyplot as plt

__all__ = ['plot_budget_curve', 'plot_predictions', 'plot_training_curves', 'read_scalars']

DETECTION_LOSSES = ('loss_cls', 'loss_bbox', 'loss_iou')


def _by_image(predictions_file: str) -> Dict[int, dict]:
    with open(predictions_file, 'rb') as file:
        return {sample['img_id']: sample for sample in pickle.load(file)}


def _draw(axis, image_path: str, gt_boxes: List[list], sample: dict, classes: Dict[int, str],
          score_thr: float, title: str) -> None:
    """One panel: the image, ground truth (green, dashed) and predictions above ``score_thr``
    (red, with class and score)."""
    axis.imshow(plt.imread(image_path))
    for x, y, w, h in gt_boxes:
        axis.add_patch(
            patches.Rectangle((x, y),
                              w,
                              h,
                              fill=False,
                              edgecolor='lime',
                              linestyle='--',
                              linewidth=1))
    pred = sample['pred_instances']
    kept = 0
    for box, score, label in zip(pred['bboxes'].tolist(), pred['scores'].tolist(),
                                 pred['labels'].tolist()):
        if score < score_thr:
            continue
        kept += 1
        x0, y0, x1, y1 = box
        axis.add_patch(
            patches.Rectangle((x0, y0), x1 - x0, y1 - y0, fill=False, edgecolor='red', linewidth=1))
        axis.text(
            x0,
            y0,
            f'{classes.get(label, label)} {score:.2f}',
            color='white',
            fontsize=6,
            bbox=dict(facecolor='red', alpha=0.6, pad=0.5, linewidth=0))
    axis.set_title(f'{title}: {kept} boxes', fontsize=8)
    axis.axis('off')


def plot_predictions(student_predictions: str,
                     vkd_predictions: str,
                     annotations: str,
                     out_file: str,
                     seed: int,
                     num_images: int = 6,
                     score_thr: float = 0.3) -> None:
    """Predictions of the student alone (left) and with V_kD (right) on the same validation
    images: the first ``num_images`` image ids.

    Args:
        student_predictions, vkd_predictions (str): ``tools/test.py --out`` files.
        annotations (str): the COCO annotation file of the evaluated split.
        out_file (str): the PNG to write.
        seed (int): the students' seed, for the title.
        num_images (int): rows of the figure. Default: 6.
        score_thr (float): lowest score drawn. Default: 0.3.
    """
    with open(annotations) as file:
        coco = json.load(file)
    # CocoDataset numbers classes by the order of the categories
    classes = {index: cat['name'] for index, cat in enumerate(coco['categories'])}
    gt_boxes = defaultdict(list)
    for ann in coco['annotations']:
        gt_boxes[ann['image_id']].append(ann['bbox'])
    student, vkd = _by_image(student_predictions), _by_image(vkd_predictions)
    image_ids = sorted(student)[:num_images]
    figure, axes = plt.subplots(len(image_ids), 2, figsize=(5, 2.5 * len(image_ids)), squeeze=False)
    for row, image_id in enumerate(image_ids):
        columns = (('student alone', student), ('student + V_kD', vkd))
        for column, (name, samples) in enumerate(columns):
            sample = samples[image_id]
            _draw(axes[row, column], sample['img_path'], gt_boxes[image_id], sample, classes,
                  score_thr, name)
    figure.suptitle(
        f'Validation images, seed {seed}: ground truth dashed green, '
        f'predictions >= {score_thr} red',
        fontsize=8)
    figure.tight_layout()
    figure.savefig(out_file, dpi=110)
    plt.close(figure)


def read_scalars(scalars_file: str) -> Dict[str, List[tuple]]:
    """MMEngine's ``scalars.json``: name -> [(iteration, value)] for every training record."""
    series = defaultdict(list)
    with open(scalars_file) as file:
        for line in file:
            record = json.loads(line)
            if 'loss' not in record:  # validation records
                continue
            for name, value in record.items():
                if name.startswith('loss'):
                    series[name].append((record['iter'], value))
    return series


def plot_training_curves(scalars_files: Dict[str, str], out_file: str, seed: int) -> None:
    """Detection losses of both students (last decoder level) and every ``loss_vkd_*`` term of
    the distilled one, against the iteration.

    Args:
        scalars_files (dict): ``'student'`` and ``'vkd'`` -> their ``scalars.json``.
        out_file (str): the PNG to write.
        seed (int): the students' seed, for the title.
    """
    runs = {kind: read_scalars(path) for kind, path in scalars_files.items()}
    labels = {'student': 'student alone', 'vkd': 'student + V_kD'}
    figure, axes = plt.subplots(1, len(DETECTION_LOSSES) + 1, figsize=(16, 3.5))
    for axis, name in zip(axes, DETECTION_LOSSES):
        for kind, series in runs.items():
            if name in series:
                iterations, values = zip(*series[name])
                axis.plot(iterations, values, label=labels[kind])
        axis.set_title(name)
        axis.set_xlabel('iteration')
        axis.legend(fontsize=7)
    distill_axis = axes[-1]
    for name, points in sorted(runs['vkd'].items()):
        if name.startswith('loss_vkd_'):
            iterations, values = zip(*points)
            distill_axis.plot(iterations, values, label=name[len('loss_vkd_'):])
    distill_axis.set_title('V_kD terms (weighted)')
    distill_axis.set_xlabel('iteration')
    distill_axis.legend(fontsize=7)
    figure.suptitle(f'Training curves, seed {seed}', fontsize=9)
    figure.tight_layout()
    figure.savefig(out_file, dpi=100)
    plt.close(figure)


def plot_budget_curve(results: Dict[int, List[float]],
                      out_file: str,
                      title: str,
                      teacher: Optional[Tuple[str, float]] = None) -> None:
    """bbox mAP against the training budget: the mean over seeds, each seed a dot.

    Args:
        results (dict): epochs -> the bbox mAP of every seed trained for that many epochs.
        out_file (str): the PNG to write.
        title (str): the figure's title (model, data, seeds).
        teacher (tuple, optional): (name, bbox mAP) of the teacher, drawn as a level line.
    """
    epochs = sorted(results)
    figure, axis = plt.subplots(figsize=(5, 3.5))
    axis.plot(
        epochs, [sum(results[e]) / len(results[e]) for e in epochs],
        marker='o',
        label='mean over seeds')
    for epoch in epochs:
        axis.scatter([epoch] * len(results[epoch]), results[epoch], color='grey', s=12)
    if teacher is not None:
        axis.axhline(teacher[1], color='black', linestyle='--', linewidth=0.8, label=teacher[0])
    axis.set_xlabel('training epochs (cosine schedule to each budget)')
    axis.set_ylabel('bbox mAP (val)')
    axis.set_xticks(epochs)
    axis.set_title(title, fontsize=8)
    axis.legend(fontsize=7)
    figure.tight_layout()
    figure.savefig(out_file, dpi=110)
    plt.close(figure)
