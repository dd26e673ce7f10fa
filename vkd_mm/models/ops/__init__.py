from .category_cost import category_cost_matrix, linear_cka, load_cost_matrix
from .sinkhorn import SINKHORN_GUARD, sinkhorn_distance

__all__ = [
    'category_cost_matrix', 'linear_cka', 'load_cost_matrix', 'SINKHORN_GUARD', 'sinkhorn_distance'
]
