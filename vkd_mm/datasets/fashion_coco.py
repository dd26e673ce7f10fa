"""A COCO-format detection set composed of real Fashion-MNIST items.

Each scene holds one to ``max_objects`` Fashion-MNIST items, each resized to a random size, given
a random colour and placed at a random position without overlapping another, over the noisy
background of :mod:`vkd_mm.datasets.toy_coco`. An item's grey level is its opacity, so its box is
tight around the pixels it covers. Training scenes take items from Fashion-MNIST's 60,000
training images, the other splits from its 10,000 test images, so no item appears in both. The
layout is :func:`vkd_mm.datasets.toy_coco.write_coco_set`'s, read by MMDetection's
``CocoDataset``; the set is the same for the same arguments and seed.
"""
from typing import Dict, List, Optional, Sequence, Tuple

import cv2
import numpy as np

from .fashion_mnist_files import FASHION_MNIST_CLASSES, FASHION_MNIST_ROOT, load_fashion_mnist
from .toy_coco import write_coco_set
from .toy_shapes import noisy_background

__all__ = ['FASHION_COCO_CLASSES', 'make_fashion_coco']

# three items of distinct outline (tall, wide and low, boxy), as many classes as the painted shapes
FASHION_COCO_CLASSES = ('Trouser', 'Sneaker', 'Bag')
_OPAQUE = 0.1  # an item covers a pixel where its grey level is above this fraction of 255


def _place(size: int, extent: int, taken: List[Tuple[int, int, int, int]],
           rng: np.random.Generator) -> Optional[Tuple[int, int]]:
    """A top-left corner for an ``extent``-square item that overlaps no box in ``taken``."""
    for _attempt in range(20):
        x, y = (int(v) for v in rng.integers(0, size - extent + 1, 2))
        if all(x + extent + 2 <= x0 or x0 + w + 2 <= x or y + extent + 2 <= y0 or y0 + h + 2 <= y
               for x0, y0, w, h in taken):
            return x, y
    return None


def _compose(size: int, max_objects: int, scale: Tuple[int, int], items: np.ndarray,
             labels: np.ndarray, pool: np.ndarray, rng: np.random.Generator):
    """One scene: (image (size, size, 3) uint8 BGR, [(class index, [x, y, w, h])])."""
    image = noisy_background(size, rng).astype(np.float32)
    boxes, taken = [], []
    for _ in range(int(rng.integers(1, max_objects + 1))):
        index = int(pool[rng.integers(len(pool))])
        extent = int(rng.integers(scale[0], scale[1] + 1))
        corner = _place(size, extent, taken, rng)
        colour = rng.integers(128, 256, 3).astype(np.float32)
        if corner is None:
            continue
        x, y = corner
        alpha = cv2.resize(items[index], (extent, extent), interpolation=cv2.INTER_LINEAR)
        alpha = alpha.astype(np.float32)[..., None] / 255.0
        patch = image[y:y + extent, x:x + extent]
        image[y:y + extent, x:x + extent] = patch * (1 - alpha) + colour * alpha
        ys, xs = np.nonzero(alpha[..., 0] > _OPAQUE)
        if len(xs) == 0:
            continue
        box = [
            float(x + xs.min()),
            float(y + ys.min()),
            float(xs.max() - xs.min() + 1),
            float(ys.max() - ys.min() + 1)
        ]
        taken.append((x, y, extent, extent))
        boxes.append((int(labels[index]), box))
    return np.clip(image + 0.5, 0, 255).astype(np.uint8), boxes


def make_fashion_coco(root: str,
                      splits: Dict[str, int] = None,
                      image_size: int = 128,
                      max_objects: int = 4,
                      scale: Tuple[int, int] = (24, 56),
                      classes: Sequence[str] = FASHION_COCO_CLASSES,
                      data_root: str = FASHION_MNIST_ROOT,
                      seed: int = 0) -> str:
    """Write the composed detection set under ``root`` unless the same one is already there.

    Args:
        root (str): output folder (nothing is written under ``data_root``).
        splits (dict): split name -> number of scenes. Default: ``{'train': 64, 'val': 16}``.
            'train' draws Fashion-MNIST's training items, every other split its test items.
        image_size (int): scene height and width. Default: 128.
        max_objects (int): most items per scene. Default: 4.
        scale (tuple): smallest and largest item size in pixels (items are 28 x 28).
            Default: (24, 56).
        classes (Sequence[str]): Fashion-MNIST class names to use, category ids 1..K in this
            order. Default: :data:`FASHION_COCO_CLASSES`; all ten: ``FASHION_MNIST_CLASSES``.
        data_root (str): folder of the four idx files (see :mod:`.fashion_mnist_files`).
        seed (int): random seed; each split draws from its own stream. Default: 0.

    Returns:
        str: ``root``.
    """
    splits = dict(splits or {'train': 64, 'val': 16})
    classes = list(classes)
    unknown = [name for name in classes if name not in FASHION_MNIST_CLASSES]
    if unknown:
        raise ValueError(f'unknown Fashion-MNIST classes {unknown}; choose from '
                         f'{FASHION_MNIST_CLASSES}')
    if not 0 < scale[0] <= scale[1] <= image_size:
        raise ValueError(f'scale must satisfy 0 < min <= max <= image_size, got {scale}')
    manifest = dict(
        source='fashion-mnist',
        splits=splits,
        image_size=image_size,
        max_objects=max_objects,
        scale=list(scale),
        classes=classes,
        seed=seed)
    wanted = np.array([FASHION_MNIST_CLASSES.index(name) for name in classes])

    def draw_split(split: str, split_index: int, count: int):
        items, labels = load_fashion_mnist(data_root, 'train' if split == 'train' else 'test')
        pool = np.flatnonzero(np.isin(labels, wanted))
        # Fashion-MNIST label -> this set's class index
        remap = np.full(len(FASHION_MNIST_CLASSES), -1)
        remap[wanted] = np.arange(len(wanted))
        mapped = remap[labels]
        rng = np.random.default_rng([seed, split_index])
        for _ in range(count):
            yield _compose(image_size, max_objects, scale, items, mapped, pool, rng)

    return write_coco_set(root, manifest, splits, image_size, classes, draw_split)
