"""A small image-classification set of drawn shapes, generated on the spot.

No data can be downloaded where vkd_mm is tested, so the tests and the demo use images this
module draws: one shape per image (circle, square, triangle, cross, ...) in a random colour,
size, position and rotation over a noisy background. The set is written in MMPretrain's
``CustomDataset`` folder layout (``<root>/<split>/<class>/<index>.png``), so the stock dataset
class and the stock loading pipeline read it.
"""
import json
import os
import os.path as osp
from typing import Dict, Sequence

import cv2
import numpy as np

__all__ = ['TOY_SHAPE_CLASSES', 'noisy_background', 'paint_shape', 'draw_shape', 'make_toy_shapes']

TOY_SHAPE_CLASSES = ('circle', 'square', 'triangle', 'cross', 'ring', 'bar')
_MANIFEST = 'toy_shapes.json'


def _polygon(center: np.ndarray, radius: float, sides: int, angle: float) -> np.ndarray:
    angles = angle + np.arange(sides) * 2 * np.pi / sides
    return (center + radius * np.stack([np.cos(angles), np.sin(angles)], 1)).astype(np.int32)


def noisy_background(size: int, rng: np.random.Generator) -> np.ndarray:
    """A dark BGR uint8 image (size, size, 3) of one random colour plus Gaussian noise."""
    background = rng.integers(0, 96, 3)
    return np.clip(background + rng.normal(0, 12, (size, size, 3)), 0, 255).astype(np.uint8)


def paint_shape(image: np.ndarray, name: str, center: np.ndarray, radius: float, angle: float,
                colour: tuple, thickness: int) -> None:
    """Paint one shape of class ``name`` into ``image`` in place.

    Args:
        image (np.ndarray): (H, W, C) uint8, or (H, W) for a mask.
        name (str): one of :data:`TOY_SHAPE_CLASSES`.
        center (np.ndarray): (x, y) in pixels.
        radius (float): half the shape's extent in pixels.
        angle (float): rotation in radians.
        colour (tuple): the fill colour.
        thickness (int): line width of rings, crosses and bars.
    """
    cx, cy = int(center[0]), int(center[1])
    if name == 'circle':
        cv2.circle(image, (cx, cy), int(radius), colour, -1, cv2.LINE_AA)
    elif name == 'ring':
        cv2.circle(image, (cx, cy), int(radius), colour, thickness, cv2.LINE_AA)
    elif name == 'square':
        cv2.fillPoly(image, [_polygon(center, radius, 4, angle)], colour, cv2.LINE_AA)
    elif name == 'triangle':
        cv2.fillPoly(image, [_polygon(center, radius, 3, angle)], colour, cv2.LINE_AA)
    elif name in ('cross', 'bar'):
        arms = 2 if name == 'cross' else 1
        for arm in range(arms):
            theta = angle + arm * np.pi / 2
            offset = radius * np.array([np.cos(theta), np.sin(theta)])
            start, end = (center - offset).astype(int), (center + offset).astype(int)
            cv2.line(image, tuple(int(v) for v in start), tuple(int(v) for v in end), colour,
                     thickness, cv2.LINE_AA)
    else:
        raise ValueError(f'unknown shape {name!r}; choose from {TOY_SHAPE_CLASSES}')


def draw_shape(name: str, size: int, rng: np.random.Generator) -> np.ndarray:
    """Draw one shape of class ``name`` on a noisy background.

    Args:
        name (str): one of :data:`TOY_SHAPE_CLASSES`.
        size (int): image height and width.
        rng (np.random.Generator): source of every random choice.

    Returns:
        np.ndarray: a BGR uint8 image of shape (size, size, 3).
    """
    image = noisy_background(size, rng)
    colour = tuple(int(c) for c in rng.integers(128, 256, 3))
    radius = rng.uniform(0.2, 0.38) * size
    center = rng.uniform(radius, size - radius, 2)
    angle = rng.uniform(0, 2 * np.pi)
    paint_shape(image, name, center, radius, angle, colour, max(1, int(size / 12)))
    return image


def make_toy_shapes(root: str,
                    splits: Dict[str, int] = None,
                    image_size: int = 32,
                    classes: Sequence[str] = TOY_SHAPE_CLASSES,
                    seed: int = 0) -> str:
    """Write the data set under ``root`` unless the same one is already there.

    Args:
        root (str): output folder.
        splits (dict): split name -> images per class. Default: ``{'train': 100, 'val': 50}``.
        image_size (int): image height and width. Default: 32.
        classes (Sequence[str]): shape classes. Default: all of :data:`TOY_SHAPE_CLASSES`.
        seed (int): random seed; each split draws from its own stream. Default: 0.

    Returns:
        str: ``root``.
    """
    splits = dict(splits or {'train': 100, 'val': 50})
    manifest = dict(splits=splits, image_size=image_size, classes=list(classes), seed=seed)
    manifest_path = osp.join(root, _MANIFEST)
    if osp.isfile(manifest_path):
        with open(manifest_path) as f:
            if json.load(f) == manifest:
                return root
    for split_index, (split, per_class) in enumerate(sorted(splits.items())):
        rng = np.random.default_rng([seed, split_index])
        for name in classes:
            folder = osp.join(root, split, name)
            os.makedirs(folder, exist_ok=True)
            for index in range(per_class):
                cv2.imwrite(osp.join(folder, f'{index:05d}.png'), draw_shape(name, image_size, rng))
    with open(manifest_path, 'w') as f:
        json.dump(manifest, f)
    return root
