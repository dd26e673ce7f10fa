"""A small COCO-format detection set of drawn shapes, generated on the spot.

Each image holds one to ``max_objects`` non-overlapping shapes (see
:mod:`vkd_mm.datasets.toy_shapes`) over a noisy background; every shape is one box of its
class, tight around its painted pixels. The set is written as
``<root>/<split>/<index>.png`` plus ``<root>/annotations/instances_<split>.json`` in COCO's
format, so MMDetection's stock ``CocoDataset`` and ``CocoMetric`` read and score it.
"""
import json
import os
import os.path as osp
from typing import Callable, Dict, Iterable, List, Sequence

import cv2
import numpy as np

from .toy_shapes import noisy_background, paint_shape

__all__ = ['TOY_COCO_CLASSES', 'make_toy_coco', 'write_coco_set']

TOY_COCO_CLASSES = ('circle', 'square', 'triangle')
_MANIFEST = 'toy_coco.json'


def _place_objects(size: int, max_objects: int, classes: Sequence[str],
                   rng: np.random.Generator) -> List[dict]:
    """Random non-overlapping shapes: class, center, radius, angle, colour."""
    objects: List[dict] = []
    for _ in range(int(rng.integers(1, max_objects + 1))):
        for _attempt in range(20):
            radius = rng.uniform(0.08, 0.2) * size
            center = rng.uniform(radius + 1, size - radius - 1, 2)
            if all(
                    np.linalg.norm(center - other['center']) > radius + other['radius'] + 2
                    for other in objects):
                objects.append(
                    dict(
                        name=classes[int(rng.integers(len(classes)))],
                        center=center,
                        radius=radius,
                        angle=rng.uniform(0, 2 * np.pi),
                        colour=tuple(int(c) for c in rng.integers(128, 256, 3))))
                break
    return objects


def _draw_image(size: int, max_objects: int, classes: Sequence[str], rng: np.random.Generator):
    """An image and its boxes: (image (size, size, 3) uint8, [(class index, [x, y, w, h])])."""
    image = noisy_background(size, rng)
    boxes = []
    for obj in _place_objects(size, max_objects, classes, rng):
        thickness = max(1, int(size / 32))
        paint_shape(image, obj['name'], obj['center'], obj['radius'], obj['angle'], obj['colour'],
                    thickness)
        mask = np.zeros((size, size), np.uint8)
        paint_shape(mask, obj['name'], obj['center'], obj['radius'], obj['angle'], 255, thickness)
        ys, xs = np.nonzero(mask)
        x0, y0, x1, y1 = xs.min(), ys.min(), xs.max() + 1, ys.max() + 1
        boxes.append(
            (classes.index(obj['name']), [float(x0),
                                          float(y0),
                                          float(x1 - x0),
                                          float(y1 - y0)]))
    return image, boxes


def make_toy_coco(root: str,
                  splits: Dict[str, int] = None,
                  image_size: int = 128,
                  max_objects: int = 3,
                  classes: Sequence[str] = TOY_COCO_CLASSES,
                  seed: int = 0) -> str:
    """Write the detection set under ``root`` unless the same one is already there.

    Args:
        root (str): output folder.
        splits (dict): split name -> number of images. Default: ``{'train': 64, 'val': 16}``.
        image_size (int): image height and width. Default: 128.
        max_objects (int): most shapes per image. Default: 3.
        classes (Sequence[str]): shape classes, category ids 1..K in this order.
        seed (int): random seed; each split draws from its own stream. Default: 0.

    Returns:
        str: ``root``.
    """
    splits = dict(splits or {'train': 64, 'val': 16})
    classes = list(classes)
    manifest = dict(
        splits=splits, image_size=image_size, max_objects=max_objects, classes=classes, seed=seed)

    def draw_split(split: str, split_index: int, count: int):
        rng = np.random.default_rng([seed, split_index])
        for _ in range(count):
            yield _draw_image(image_size, max_objects, classes, rng)

    return write_coco_set(root, manifest, splits, image_size, classes, draw_split)


def write_coco_set(root: str, manifest: dict, splits: Dict[str, int], image_size: int,
                   classes: Sequence[str], draw_split: Callable[[str, int, int], Iterable]) -> str:
    """Write ``<root>/<split>/<index>.png`` and ``annotations/instances_<split>.json`` for every
    split, unless ``<root>/toy_coco.json`` already holds the same ``manifest``.

    Args:
        root (str): output folder.
        manifest (dict): everything the images depend on (JSON-serialisable).
        splits (dict): split name -> number of images.
        image_size (int): image height and width.
        classes (Sequence[str]): category names, ids 1..K in this order.
        draw_split (callable): ``(split, split_index, count)`` -> ``count`` pairs of (image
            (size, size, 3) uint8 BGR, [(class index, [x, y, w, h])]); ``split_index`` is the
            split's position in sorted order.

    Returns:
        str: ``root``.
    """
    manifest_path = osp.join(root, _MANIFEST)
    if osp.isfile(manifest_path):
        with open(manifest_path) as f:
            if json.load(f) == manifest:
                return root
    os.makedirs(osp.join(root, 'annotations'), exist_ok=True)
    categories = [dict(id=i + 1, name=name) for i, name in enumerate(classes)]
    for split_index, (split, count) in enumerate(sorted(splits.items())):
        os.makedirs(osp.join(root, split), exist_ok=True)
        images, annotations = [], []
        for index, (image, boxes) in enumerate(draw_split(split, split_index, count)):
            file_name = f'{index:05d}.png'
            cv2.imwrite(osp.join(root, split, file_name), image)
            images.append(dict(id=index, file_name=file_name, height=image_size, width=image_size))
            for label, box in boxes:
                annotations.append(
                    dict(
                        id=len(annotations) + 1,
                        image_id=index,
                        category_id=label + 1,
                        bbox=box,
                        area=box[2] * box[3],
                        iscrowd=0))
        with open(osp.join(root, 'annotations', f'instances_{split}.json'), 'w') as f:
            json.dump(dict(images=images, annotations=annotations, categories=categories), f)
    with open(manifest_path, 'w') as f:
        json.dump(manifest, f)
    return root
