from .toy_shapes import TOY_SHAPE_CLASSES, draw_shape, make_toy_shapes

__all__ = ['TOY_SHAPE_CLASSES', 'draw_shape', 'make_toy_shapes']
