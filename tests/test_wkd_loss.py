import numpy as np
import pytest
import torch
from torch.nn import functional as F

from vkd_mm.models import WKDFeatureLoss, WKDLogitLoss
from vkd_mm.models.losses import grid_gaussian_stats
from vkd_mm.models.ops import load_cost_matrix, sinkhorn_distance


def random_cost(n, seed=0):
    generator = torch.Generator().manual_seed(seed)
    points = torch.randn(n, 3, generator=generator, dtype=torch.float64)
    cost = torch.cdist(points, points) / 4
    return cost


def dense_reference(student_logits, teacher_logits, labels, cost, temperature, eps, iterations,
                    sharpen):
    """The official per-sample algorithm in float64: delete the target class from the logits
    and from a per-sample copy of the cost, then run Sinkhorn on each (n-1) problem."""
    cost = 1 - torch.exp(-sharpen * cost) if sharpen else cost
    cost = cost.clamp_min(0) + 1e-8
    targets, distances = [], []
    for logit_s, logit_t, label in zip(student_logits.double(), teacher_logits.double(), labels):
        keep = torch.arange(len(logit_s)) != label
        p_t_full = F.softmax(logit_t, 0)
        targets.append(-p_t_full[label] * F.log_softmax(logit_s, 0)[label])
        p = F.softmax(logit_s[keep] / temperature, 0)
        q = F.softmax(logit_t[keep] / temperature, 0)
        c = cost[keep][:, keep]
        k = torch.exp(-c / eps)
        u = torch.full_like(p, 1 / len(p))
        for _ in range(iterations):
            v = q / (k.t() @ u + 1e-8)
            u = p / (k @ v + 1e-8)
        plan = u[:, None] * k * v[None, :]
        distances.append((plan * c).sum())
    return torch.stack(targets).mean(), torch.stack(distances).mean()


@pytest.mark.parametrize('sharpen', [0.0, 1.0])
def test_shared_cost_form_equals_the_dense_per_sample_form(sharpen):
    n, batch = 20, 6
    cost = random_cost(n)
    student = torch.randn(batch, n, dtype=torch.float64) * 3
    teacher = torch.randn(batch, n, dtype=torch.float64) * 3
    labels = torch.randint(0, n, (batch, ))
    loss = WKDLogitLoss(
        cost,
        temperature=2.0,
        loss_weight=1.0,
        target_weight=0.0,
        sinkhorn_eps=0.05,
        sinkhorn_iters=10,
        sharpen=sharpen)
    loss.double()
    ours = loss(student.float(), teacher.float(), labels)
    _, reference = dense_reference(student, teacher, labels, cost, 2.0, 0.05, 10, sharpen)
    torch.testing.assert_close(ours.double(), reference, atol=1e-6, rtol=1e-5)


def test_shared_cost_gradient_equals_the_dense_per_sample_gradient():
    n, batch = 20, 6
    cost = random_cost(n, seed=2)
    student = (torch.randn(batch, n, dtype=torch.float64) * 3).requires_grad_()
    teacher = torch.randn(batch, n, dtype=torch.float64) * 3
    labels = torch.randint(0, n, (batch, ))
    loss = WKDLogitLoss(cost, temperature=2.0, loss_weight=1.0, sharpen=1.0).double()
    ours = torch.autograd.grad(loss(student, teacher, labels), student)[0]
    target, distance = dense_reference(student, teacher, labels, cost, 2.0, 0.05, 10, 1.0)
    expected = torch.autograd.grad(target + distance, student)[0]
    # the module builds its kernel in float32, hence not float64 round-off
    torch.testing.assert_close(ours, expected, atol=1e-8, rtol=1e-5)


def test_float64_sinkhorn_matches_the_reference_to_1e6():
    n, batch = 15, 4
    cost = random_cost(n, seed=3).clamp_min(0) + 1e-8
    kernel = torch.exp(-cost / 0.1)
    p = F.softmax(torch.randn(batch, n, dtype=torch.float64), 1)
    q = F.softmax(torch.randn(batch, n, dtype=torch.float64), 1)
    ours = sinkhorn_distance(p, q, kernel, kernel * cost,
                             torch.full((batch, n), 1 / n, dtype=torch.float64), 50)
    for row in range(batch):
        u = torch.full((n, ), 1 / n, dtype=torch.float64)
        for _ in range(50):
            v = q[row] / (kernel.t() @ u + 1e-8)
            u = p[row] / (kernel @ v + 1e-8)
        reference = (u[:, None] * kernel * v[None, :] * cost).sum()
        assert abs(ours[row].item() - reference.item()) < 1e-6


def unrolled_sinkhorn(p, q, kernel, cost, init_scaling, iterations):
    """Sinkhorn written out for autograd to differentiate (the official recursion)."""
    u = init_scaling
    for _ in range(iterations):
        v = q / (u @ kernel + 1e-8)
        u = p / (v @ kernel.t() + 1e-8)
    return ((u @ (kernel * cost)) * v).sum(1)


@pytest.mark.parametrize('iterations', [1, 2, 10])
def test_sinkhorn_backward_is_the_unrolled_gradient(iterations):
    """The hand-written backward against finite differences and against autograd through the
    unrolled loop, for the student and the teacher marginals, with a non-symmetric kernel."""
    n, batch = 9, 4
    generator = torch.Generator().manual_seed(iterations)
    cost = torch.rand(n, n, generator=generator, dtype=torch.float64)
    kernel = torch.exp(-cost / 0.2)
    p = F.softmax(torch.randn(batch, n, generator=generator, dtype=torch.float64), 1)
    q = F.softmax(torch.randn(batch, n, generator=generator, dtype=torch.float64), 1)
    init = torch.full((batch, n), 1 / n, dtype=torch.float64)
    p.requires_grad_()
    q.requires_grad_()

    def ours(p, q):
        return sinkhorn_distance(p, q, kernel, kernel * cost, init, iterations)

    assert torch.autograd.gradcheck(ours, (p, q))
    weights = torch.randn(batch, generator=generator, dtype=torch.float64)
    expected = torch.autograd.grad(
        (unrolled_sinkhorn(p, q, kernel, cost, init, iterations) * weights).sum(), (p, q))
    got = torch.autograd.grad((ours(p, q) * weights).sum(), (p, q))
    for got_grad, expected_grad in zip(got, expected):
        torch.testing.assert_close(got_grad, expected_grad, atol=1e-12, rtol=1e-10)
    student_only = torch.autograd.grad((ours(p, q.detach()) * weights).sum(), p)[0]
    torch.testing.assert_close(student_only, expected[0], atol=1e-12, rtol=1e-10)


def test_sinkhorn_rejects_learnable_kernels_and_zero_iterations():
    p = q = init = torch.full((2, 3), 1 / 3)
    kernel = torch.eye(3, requires_grad=True)
    with pytest.raises(ValueError, match='treats kernel as constants'):
        sinkhorn_distance(p, q, kernel, kernel.detach(), init)
    with pytest.raises(ValueError, match='at least one iteration'):
        sinkhorn_distance(p, q, kernel.detach(), kernel.detach(), init, iterations=0)


def test_converged_plan_has_the_requested_marginals():
    """An independent check of the OT side: after many iterations P 1 = p and P^T 1 ~= q."""
    n = 12
    cost = random_cost(n, seed=1).clamp_min(0) + 1e-8
    kernel = torch.exp(-cost / 0.2)
    p = F.softmax(torch.randn(n, dtype=torch.float64), 0)
    q = F.softmax(torch.randn(n, dtype=torch.float64), 0)
    u = torch.full((n, ), 1 / n, dtype=torch.float64)
    for _ in range(2000):
        v = q / (kernel.t() @ u + 1e-8)
        u = p / (kernel @ v + 1e-8)
    plan = u[:, None] * kernel * v[None, :]
    # exact up to the official 1e-8 guard in the divisions
    torch.testing.assert_close(plan.sum(1), p, atol=1e-7, rtol=0)
    torch.testing.assert_close(plan.sum(0), q, atol=1e-7, rtol=0)


def test_target_term_is_the_nkd_form():
    n = 10
    student, teacher = torch.randn(4, n), torch.randn(4, n)
    labels = torch.tensor([0, 3, 9, 3])
    loss = WKDLogitLoss(random_cost(n).float(), loss_weight=0.0, target_weight=1.0)
    expected = -(F.softmax(teacher, 1)[range(4), labels] *
                 F.log_softmax(student, 1)[range(4), labels]).mean()
    torch.testing.assert_close(loss(student, teacher, labels), expected)


def test_gradients_are_finite_and_reach_only_the_student():
    n = 30
    student = torch.randn(8, n, requires_grad=True)
    teacher = torch.randn(8, n, requires_grad=True)
    loss = WKDLogitLoss(random_cost(n).float(), sharpen=2.0)
    loss(student, teacher, torch.randint(0, n, (8, ))).backward()
    assert torch.isfinite(student.grad).all() and student.grad.abs().sum() > 0
    assert teacher.grad is None


def test_soft_labels_use_their_argmax():
    n = 10
    loss = WKDLogitLoss(random_cost(n).float())
    student, teacher = torch.randn(3, n), torch.randn(3, n)
    hard = torch.tensor([1, 4, 7])
    soft = F.one_hot(hard, n).float() * 0.9 + 0.01
    torch.testing.assert_close(loss(student, teacher, soft), loss(student, teacher, hard))


def test_runs_in_fp32_under_autocast():
    n = 10
    loss = WKDLogitLoss(random_cost(n).float())
    with torch.autocast('cpu', dtype=torch.bfloat16):
        value = loss(
            torch.randn(4, n).bfloat16(),
            torch.randn(4, n).bfloat16(), torch.tensor([0, 1, 2, 3]))
    assert value.dtype == torch.float32 and torch.isfinite(value)


def test_class_count_mismatch_is_explained():
    loss = WKDLogitLoss(random_cost(10).float())
    with pytest.raises(ValueError, match='12 classes but the cost matrix is 10 x 10'):
        loss(torch.randn(2, 12), torch.randn(2, 12), torch.tensor([0, 1]))


def test_cost_matrix_formats(tmp_path):
    cost = random_cost(5).float()
    torch.save(cost, tmp_path / 'official.pth')
    torch.save({'cost_matrix': cost, 'classes': list('abcde')}, tmp_path / 'ours.pth')
    np.save(tmp_path / 'cost.npy', cost.numpy())
    for name in ('official.pth', 'ours.pth', 'cost.npy'):
        torch.testing.assert_close(load_cost_matrix(str(tmp_path / name)), cost)
    with pytest.raises(ValueError, match='square'):
        load_cost_matrix(torch.zeros(3, 4))


def test_grid_statistics_match_a_loop_over_cells():
    x = torch.randn(2, 3, 7, 7, dtype=torch.float64)
    mean, std = grid_gaussian_stats(x, 4)
    for a in range(4):
        for b in range(4):
            rows = slice(a * 7 // 4, -(-(a + 1) * 7 // 4))
            cols = slice(b * 7 // 4, -(-(b + 1) * 7 // 4))
            cell = x[:, :, rows, cols].flatten(2)
            torch.testing.assert_close(mean[:, :, a, b], cell.mean(2))
            torch.testing.assert_close(std[:, :, a, b], (cell.var(2) + 1e-5).sqrt())


def test_feature_loss_is_the_diagonal_gaussian_w2():
    student, teacher = torch.randn(2, 4, 8, 8), torch.randn(2, 4, 8, 8)
    loss = WKDFeatureLoss(loss_weight=0.5, mean_weight=3.0, grid=2)
    ms, ss = grid_gaussian_stats(student, 2)
    mt, st = grid_gaussian_stats(teacher, 2)
    expected = 0.5 * (3.0 * (ms - mt).square().sum() + (ss - st).square().sum()) / (2 * 4)
    torch.testing.assert_close(loss(student, teacher), expected)
    assert loss(teacher, teacher) == 0


def test_feature_loss_rejects_single_position_cells():
    with pytest.raises(ValueError, match='smaller grid'):
        WKDFeatureLoss(grid=4)(torch.randn(1, 2, 4, 4), torch.randn(1, 2, 4, 4))
