from .toy_coco import TOY_COCO_CLASSES, make_toy_coco
from .toy_shapes import (TOY_SHAPE_CLASSES, draw_shape, make_toy_shapes, noisy_background,
                         paint_shape)

__all__ = [
    'TOY_SHAPE_CLASSES', 'draw_shape', 'make_toy_shapes', 'noisy_background', 'paint_shape',
    'TOY_COCO_CLASSES', 'make_toy_coco'
]
