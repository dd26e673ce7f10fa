"""References for the matrix-exp maps: torch.linalg.matrix_exp of the whole generator."""
import torch

from vkd_mm.models import OrthogonalProjector
from vkd_mm.models.projectors import MatrixExpMap


def orthonormality_error(weight: torch.Tensor) -> float:
    """max |P^T P - I| for a tall P, max |P P^T - I| for a wide one, in float64."""
    weight = weight.detach().double()
    gram = weight.t() @ weight if weight.shape[1] <= weight.shape[0] else weight @ weight.t()
    return (gram - torch.eye(gram.shape[0], dtype=torch.float64)).abs().max().item()


def full_generator(orthogonal_map, generator: torch.Tensor) -> torch.Tensor:
    """The n x n skew-symmetric S a matrix-exp map exponentiates, from its parameter."""
    if generator.shape[0] == generator.shape[1]:  # both maps: S = U - U^T, U strictly upper
        upper = generator.triu(1)
        return upper - upper.t()
    # the thin map: S = [[A, -B^T], [B, 0]], A from the first k rows, B the last n - k rows
    size, thin = generator.shape
    skew = generator.new_zeros(size, size)
    upper = generator[:thin].triu(1)
    skew[:thin, :thin] = upper - upper.t()
    skew[thin:, :thin] = generator[thin:]
    skew[:thin, thin:] = -generator[thin:].t()
    return skew


def reference_matrix_exp(projector: OrthogonalProjector) -> torch.Tensor:
    """P from torch.linalg.matrix_exp of the whole S in float64, differentiable: exp(S) sliced
    to [:d_t, :d_s] for the full map; exp(S)[:, :k] (transposed when wide) for the thin map."""
    orthogonal_map = projector.orthogonal_map
    generator = orthogonal_map.generator.double()
    rotation = torch.linalg.matrix_exp(full_generator(orthogonal_map, generator))
    d_s, d_t = orthogonal_map.in_channels, orthogonal_map.out_channels
    if isinstance(orthogonal_map, MatrixExpMap) and d_s != d_t:
        columns = rotation[:, :min(d_s, d_t)]
        return columns if d_s < d_t else columns.t()
    return rotation[:d_t, :d_s]


def assert_value_and_gradient_match_the_reference(projector, tolerance=1e-6):
    weight = projector.weight
    expected = reference_matrix_exp(projector)
    torch.testing.assert_close(weight.double(), expected, atol=tolerance, rtol=0)
    assert orthonormality_error(weight) < 1e-6
    upstream = torch.randn_like(expected)
    generator = projector.orthogonal_map.generator
    got = torch.autograd.grad((weight * upstream.float()).sum(), generator)[0]
    want = torch.autograd.grad((expected * upstream).sum(), generator)[0]
    assert (got.double() - want).abs().max() < 1e-5 * want.abs().max()
