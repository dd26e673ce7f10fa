import pytest
import torch
from torch import nn
from torch.nn.utils import parametrizations

from vkd_mm.models import OrthogonalProjector
from vkd_mm.models.projectors import ORTHOGONAL_MAPS, MatrixExpMap
from vkd_mm.models.projectors.orthogonal_maps import thin_exp_factors

MAPS = sorted(ORTHOGONAL_MAPS)
SHAPES = [(48, 300), (300, 48), (64, 64)]


def orthonormality_error(weight: torch.Tensor) -> float:
    """max |P^T P - I| for a tall P, max |P P^T - I| for a wide one, in float64."""
    weight = weight.detach().double()
    gram = weight.t() @ weight if weight.shape[1] <= weight.shape[0] else weight @ weight.t()
    return (gram - torch.eye(gram.shape[0], dtype=torch.float64)).abs().max().item()


@pytest.mark.parametrize('orthogonal_map', MAPS)
@pytest.mark.parametrize('in_channels,out_channels', SHAPES)
def test_weight_is_orthonormal_in_fp32(orthogonal_map, in_channels, out_channels):
    projector = OrthogonalProjector(in_channels, out_channels, orthogonal_map=orthogonal_map)
    weight = projector.weight
    assert weight.dtype == torch.float32
    assert weight.shape == (out_channels, in_channels)
    assert orthonormality_error(weight) < 1e-5


@pytest.mark.parametrize('orthogonal_map', MAPS)
def test_inner_products_of_the_batch_are_preserved(orthogonal_map):
    projector = OrthogonalProjector(48, 300, orthogonal_map=orthogonal_map)
    x = torch.randn(32, 48)
    y = projector(x)
    assert y.shape == (32, 300)
    torch.testing.assert_close(y @ y.t(), x @ x.t(), rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize('orthogonal_map', MAPS)
@pytest.mark.parametrize('in_channels,out_channels', SHAPES)
def test_forward_equals_the_matrix_for_every_layout(orthogonal_map, in_channels, out_channels):
    projector = OrthogonalProjector(in_channels, out_channels, orthogonal_map=orthogonal_map)
    weight = projector.weight.detach()
    vectors = torch.randn(4, in_channels)
    tokens = torch.randn(2, 5, in_channels)
    maps = torch.randn(2, in_channels, 3, 4)
    torch.testing.assert_close(projector(vectors), vectors @ weight.t(), rtol=1e-4, atol=1e-5)
    torch.testing.assert_close(projector(tokens), tokens @ weight.t(), rtol=1e-4, atol=1e-5)
    expected = torch.einsum('bchw,dc->bdhw', maps, weight)
    torch.testing.assert_close(projector(maps), expected, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize('orthogonal_map', MAPS)
def test_qr_maps_and_matrix_exp_are_exact_maps_of_their_parameter(orthogonal_map):
    """The two QR maps give the same Q for the same parameter (both are the positive-R QR)."""
    if orthogonal_map.startswith('matrix_exp'):
        projector = OrthogonalProjector(64, 64, orthogonal_map=orthogonal_map)
        generator = projector.orthogonal_map.generator.detach().double().triu(1)
        expected = torch.linalg.matrix_exp(generator - generator.t())
        torch.testing.assert_close(projector.weight.double(), expected, atol=1e-6, rtol=0)
        return
    torch.manual_seed(1)
    weight = torch.randn(300, 48)
    householder = OrthogonalProjector(48, 300, orthogonal_map='householder_qr')
    cholesky = OrthogonalProjector(48, 300, orthogonal_map='cholesky_qr')
    with torch.no_grad():
        householder.orthogonal_map.weight.copy_(weight)
        cholesky.orthogonal_map.weight.copy_(weight)
    torch.testing.assert_close(householder.weight, cholesky.weight, atol=1e-5, rtol=0)


@pytest.mark.parametrize('orthogonal_map', MAPS)
def test_gradients_reach_the_parameter_and_the_input(orthogonal_map):
    projector = OrthogonalProjector(16, 40, orthogonal_map=orthogonal_map, affine=True)
    x = torch.randn(8, 16, requires_grad=True)
    projector(x).square().sum().backward()
    assert x.grad is not None and x.grad.abs().sum() > 0
    for name, param in projector.named_parameters():
        assert param.grad is not None and param.grad.abs().sum() > 0, name


@pytest.mark.parametrize('orthogonal_map', MAPS)
def test_survives_1000_adamw_steps_with_weight_decay(orthogonal_map):
    """Orthonormal, non-zero and still learning after 1,000 AdamW steps with wd=0.05."""
    torch.manual_seed(0)
    projector = OrthogonalProjector(24, 96, orthogonal_map=orthogonal_map)
    target_map = torch.linalg.qr(torch.randn(96, 24))[0]
    optimizer = torch.optim.AdamW(projector.parameters(), lr=5e-4, weight_decay=0.05)
    losses, snapshots = [], {}
    for step in range(1000):
        x = torch.randn(64, 24)
        loss = nn.functional.smooth_l1_loss(projector(x), x @ target_map.t())
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
        if step in (899, 999):
            snapshots[step] = projector.weight.detach().clone()
    weight = projector.weight.detach()
    assert orthonormality_error(weight) < 1e-5
    assert weight.norm() > 1.0  # sqrt(24) for an orthonormal 96x24 matrix
    assert (snapshots[999] - snapshots[899]).abs().max() > 1e-4, 'stopped learning'
    assert sum(losses[-50:]) / 50 < 0.9 * sum(losses[:50]) / 50


def test_torch_householder_parametrization_collapses_under_weight_decay():
    """Why our maps exist: the official projector (torch's default orthogonal parametrization of
    a rectangular weight) becomes zero after one AdamW step with weight decay."""
    torch.manual_seed(0)
    official = parametrizations.orthogonal(nn.Linear(16, 64, bias=False))
    optimizer = torch.optim.AdamW(official.parameters(), lr=5e-4, weight_decay=0.05)
    x = torch.randn(32, 16)
    loss = official(x).sum()
    loss.backward()
    optimizer.step()
    assert official.weight.detach().abs().max() == 0


def test_channel_mismatch_names_both_sizes():
    projector = OrthogonalProjector(32, 64, orthogonal_map='cholesky_qr')
    with pytest.raises(ValueError, match=r'expects 32 input channels .* has 48'):
        projector(torch.randn(2, 48, 4, 4))


def test_unknown_map_lists_the_choices():
    with pytest.raises(ValueError, match='cholesky_qr'):
        OrthogonalProjector(8, 16, orthogonal_map='svd')


def test_affine_scale_and_bias_follow_the_projection():
    projector = OrthogonalProjector(8, 16, orthogonal_map='householder_qr', affine=True)
    with torch.no_grad():
        projector.affine.weight.fill_(2.0)
        projector.affine.bias.fill_(0.5)
    x = torch.randn(3, 8)
    torch.testing.assert_close(projector(x), 2.0 * x @ projector.weight.detach().t() + 0.5)


@pytest.mark.parametrize('orthogonal_map', MAPS)
def test_runs_in_fp32_under_autocast(orthogonal_map):
    projector = OrthogonalProjector(16, 32, orthogonal_map=orthogonal_map)
    with torch.autocast('cpu', dtype=torch.bfloat16):
        y = projector(torch.randn(4, 16).bfloat16())
    assert y.dtype == torch.float32


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


@pytest.mark.parametrize('in_channels,out_channels', [(48, 300), (300, 48), (64, 64), (40, 56)])
@pytest.mark.parametrize('scale', [1.0, 5.0])
def test_thin_matrix_exp_is_the_sliced_exponential_of_the_block_generator(
        in_channels, out_channels, scale):
    """Tall, wide, square and nearly square (n - k < k); at scale 5 with several Taylor stages.
    Value and gradient against autograd through torch.linalg.matrix_exp of the n x n S."""
    torch.manual_seed(0)
    projector = OrthogonalProjector(in_channels, out_channels, orthogonal_map='matrix_exp')
    with torch.no_grad():
        projector.orthogonal_map.generator.mul_(scale)
    if scale > 1 and in_channels != out_channels:
        assert projector.orthogonal_map.schedule()[0] > 1
    assert_value_and_gradient_match_the_reference(projector, tolerance=2e-6)


@pytest.mark.parametrize('in_channels,out_channels', [(40, 200), (200, 40)])
@pytest.mark.parametrize('rank', [0, 1, 7])
def test_thin_matrix_exp_with_a_rank_deficient_b(in_channels, out_channels, rank):
    """B of rank < k (even B = 0): B = QR still holds with a singular R, and the map never
    factors B, so value and gradient stay those of exp(S)."""
    torch.manual_seed(1)
    projector = OrthogonalProjector(in_channels, out_channels, orthogonal_map='matrix_exp')
    generator = projector.orthogonal_map.generator
    thin = generator.shape[1]
    with torch.no_grad():
        low_rank = torch.randn(generator.shape[0] - thin, rank) @ torch.randn(rank, thin)
        generator[thin:] = low_rank / max(rank, 1)**0.5 / 4
        generator[:thin] *= 3
    assert torch.linalg.matrix_rank(generator[thin:].detach()) == rank
    assert_value_and_gradient_match_the_reference(projector)


def test_thin_factors_pass_gradcheck_in_float64():
    """thin_exp_factors in float64 (no float32 stage, no polish): autograd's gradient of
    [M; B N] against finite differences, with B of full rank and of rank 1."""
    torch.manual_seed(0)
    size, thin = 11, 4

    def thin_columns(generator):
        upper = generator[:thin].triu(1)
        lower = generator[thin:]
        first, second = thin_exp_factors(upper - upper.t(), lower.t() @ lower, stages=2,
                                         degree=24)
        return torch.cat([first, lower @ second])

    rank_one = torch.randn(size - thin, 1) @ torch.randn(1, thin)
    for lower in (torch.randn(size - thin, thin), rank_one):
        generator = torch.cat([torch.randn(thin, thin), lower]).double().requires_grad_()
        expected = torch.linalg.matrix_exp(full_generator(None, generator.detach()))[:, :thin]
        torch.testing.assert_close(thin_columns(generator), expected, atol=1e-13, rtol=0)
        assert torch.autograd.gradcheck(thin_columns, (generator, ))


@pytest.mark.parametrize('in_channels,out_channels', [(192, 3024), (384, 3024), (3024, 192),
                                                      (256, 256)])
def test_thin_matrix_exp_is_orthonormal_to_1e6_at_the_benchmark_widths(in_channels, out_channels):
    projector = OrthogonalProjector(in_channels, out_channels, orthogonal_map='matrix_exp')
    for scale in (1.0, 3.0):
        with torch.no_grad():
            projector.orthogonal_map.generator.mul_(scale)
        assert orthonormality_error(projector.weight) < 1e-6


@pytest.mark.parametrize('in_channels,out_channels', [(48, 300), (300, 48)])
def test_thin_matrix_exp_forms_p_only_for_many_tokens(in_channels, out_channels):
    """Fewer tokens than n - k go through the factors, more through P: same result."""
    projector = OrthogonalProjector(in_channels, out_channels, orthogonal_map='matrix_exp')
    weight = projector.weight.detach()
    for count in (8, 400):
        tokens = torch.randn(count, in_channels)
        torch.testing.assert_close(projector(tokens), tokens @ weight.t(), rtol=1e-4, atol=1e-5)


def test_an_old_matrix_exp_checkpoint_names_the_map_that_loads_it():
    """Before the thin map took the name, matrix_exp held an (n, n) generator: loading such a
    checkpoint fails with a message naming matrix_exp_full, which loads it as trained."""
    old = OrthogonalProjector(48, 300, orthogonal_map='matrix_exp_full')
    state = old.state_dict()
    assert state['orthogonal_map.generator'].shape == (300, 300)
    with pytest.raises(RuntimeError, match="orthogonal_map='matrix_exp_full'"):
        OrthogonalProjector(48, 300, orthogonal_map='matrix_exp').load_state_dict(state)
    restored = OrthogonalProjector(48, 300, orthogonal_map='matrix_exp_full')
    restored.load_state_dict(state)
    torch.testing.assert_close(restored.weight, old.weight)


def test_an_old_square_matrix_exp_checkpoint_loads_unchanged():
    """A square P had the same parameter layout and the same P in both maps."""
    old = OrthogonalProjector(64, 64, orthogonal_map='matrix_exp_full')
    new = OrthogonalProjector(64, 64, orthogonal_map='matrix_exp')
    new.load_state_dict(old.state_dict())
    torch.testing.assert_close(new.weight, old.weight, atol=1e-6, rtol=0)


@pytest.mark.parametrize('in_channels,out_channels', [(48, 300), (300, 48)])
@pytest.mark.parametrize('scale', [1.0, 5.0, 40.0])
def test_full_matrix_exp_of_a_thin_slice_is_the_sliced_exponential(in_channels, out_channels,
                                                                   scale):
    """The full map takes only its columns (Taylor, several stages at scale 5) or, once the
    generator is large (scale 40), the whole exponential: value and gradient agree with
    torch.linalg.matrix_exp either way."""
    projector = OrthogonalProjector(in_channels, out_channels, orthogonal_map='matrix_exp_full')
    with torch.no_grad():
        projector.orthogonal_map.generator.mul_(scale)
    weight = projector.weight
    expected = reference_matrix_exp(projector)
    torch.testing.assert_close(weight.double(), expected, atol=1e-6, rtol=0)
    assert orthonormality_error(weight) < 1e-5

    upstream = torch.randn_like(expected)
    got = torch.autograd.grad((weight * upstream.float()).sum(),
                              projector.orthogonal_map.generator)[0]
    want = torch.autograd.grad((expected * upstream).sum(),
                               projector.orthogonal_map.generator)[0]
    assert (got.double() - want).abs().max() < 1e-4 * want.abs().max()


def test_skew_exp_columns_sums_each_stage_to_round_off():
    from vkd_mm.models.projectors.orthogonal_maps import skew_exp_columns
    upper = torch.randn(120, 120).triu(1) / 3
    skew = (upper - upper.t()).requires_grad_()
    columns = skew_exp_columns(skew, 10, stages=4)
    expected = torch.linalg.matrix_exp(skew.detach().double())[:, :10]
    torch.testing.assert_close(columns.double(), expected, atol=1e-6, rtol=0)
    columns.sum().backward()
    assert torch.isfinite(skew.grad).all() and skew.grad.abs().sum() > 0


@pytest.mark.parametrize('orthogonal_map', ['matrix_exp', 'matrix_exp_full'])
def test_a_non_finite_generator_gives_a_non_finite_matrix_not_an_error(orthogonal_map):
    projector = OrthogonalProjector(48, 300, orthogonal_map=orthogonal_map)
    with torch.no_grad():
        projector.orthogonal_map.generator[0, 5] = float('nan')
    assert not torch.isfinite(projector.weight).all()


@pytest.mark.parametrize('orthogonal_map', ['matrix_exp', 'matrix_exp_full'])
@pytest.mark.parametrize('upstream_scale', [1e-6, 1.0, 1e4])
def test_square_matrix_exp_gradient_is_accurate_at_any_gradient_scale(orthogonal_map,
                                                                      upstream_scale):
    projector = OrthogonalProjector(96, 96, orthogonal_map=orthogonal_map)
    expected = reference_matrix_exp(projector)
    upstream = torch.randn_like(expected) * upstream_scale
    got = torch.autograd.grad((projector.weight * upstream.float()).sum(),
                              projector.orthogonal_map.generator)[0]
    want = torch.autograd.grad((expected * upstream).sum(),
                               projector.orthogonal_map.generator)[0]
    assert (got.double() - want).abs().max() < 1e-5 * want.abs().max()


def test_thin_matrix_exp_deep_copies_and_pickles():
    """EMA hooks deep-copy the model; the map's host-side bound state must not get in the way."""
    import copy
    import io
    projector = OrthogonalProjector(24, 96, orthogonal_map='matrix_exp')
    projector(torch.randn(4, 24))
    torch.testing.assert_close(copy.deepcopy(projector).weight, projector.weight)
    buffer = io.BytesIO()
    torch.save(projector, buffer)
    buffer.seek(0)
    restored = torch.load(buffer, weights_only=False)
    torch.testing.assert_close(restored.weight, projector.weight)
