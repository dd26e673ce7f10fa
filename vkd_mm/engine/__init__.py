from .category_cost_loop import CategoryCostLoop

__all__ = ['CategoryCostLoop']
