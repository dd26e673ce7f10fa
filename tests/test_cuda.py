"""The fast paths on a CUDA device: same numbers as on the CPU, fp32 where it matters under
autocast. Skipped where no GPU is present (CI); run them with ``pytest tests/test_cuda.py`` on a
machine with one."""
import pytest
import torch
from torch.nn import functional as F

from vkd_mm.models import BatchWhiten, OrthogonalProjector, VkDLoss, WKDLogitLoss
from vkd_mm.models.losses import sinkhorn_distance
from vkd_mm.models.projectors import ORTHOGONAL_MAPS

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason='needs a CUDA device')


def symmetric_cost(n: int) -> torch.Tensor:
    points = torch.randn(n, 3)
    return torch.cdist(points, points) / 4


def test_wkd_logit_loss_on_cuda_equals_the_cpu_and_stays_fp32_under_autocast():
    n, batch = 100, 64
    cost = symmetric_cost(n)
    student = torch.randn(batch, n) * 3
    teacher = torch.randn(batch, n) * 3
    labels = torch.randint(0, n, (batch, ))
    loss = WKDLogitLoss(cost, temperature=2.0, loss_weight=30.0)
    cpu_student = student.clone().requires_grad_()
    expected = loss(cpu_student, teacher, labels)
    expected.backward()

    loss.cuda()
    cuda_student = student.cuda().requires_grad_()
    got = loss(cuda_student, teacher.cuda(), labels.cuda())
    got.backward()
    torch.testing.assert_close(got.cpu(), expected, atol=1e-5, rtol=1e-6)
    torch.testing.assert_close(cuda_student.grad.cpu(), cpu_student.grad, atol=1e-6, rtol=1e-4)

    with torch.autocast('cuda', dtype=torch.bfloat16):
        under_autocast = loss(cuda_student.bfloat16(), teacher.cuda().bfloat16(), labels.cuda())
    assert under_autocast.dtype == torch.float32 and torch.isfinite(under_autocast)


def test_sinkhorn_backward_on_cuda_passes_gradcheck():
    n, batch = 9, 3
    cost = torch.rand(n, n, dtype=torch.float64, device='cuda')
    kernel = torch.exp(-cost / 0.2)
    p = F.softmax(torch.randn(batch, n, dtype=torch.float64, device='cuda'), 1)
    q = F.softmax(torch.randn(batch, n, dtype=torch.float64, device='cuda'), 1)
    init = torch.full((batch, n), 1 / n, dtype=torch.float64, device='cuda')
    assert torch.autograd.gradcheck(
        lambda p, q: sinkhorn_distance(p, q, kernel, kernel * cost, init, 10),
        (p.requires_grad_(), q.requires_grad_()))


@pytest.mark.parametrize('orthogonal_map', sorted(ORTHOGONAL_MAPS))
@pytest.mark.parametrize('in_channels,out_channels', [(192, 3024), (256, 256), (3024, 192)])
def test_orthogonal_projector_on_cuda_under_autocast(orthogonal_map, in_channels, out_channels):
    projector = OrthogonalProjector(in_channels, out_channels,
                                    orthogonal_map=orthogonal_map).cuda()
    weight = projector.weight.detach().double()
    gram = weight.t() @ weight if in_channels <= out_channels else weight @ weight.t()
    assert (gram - torch.eye(gram.shape[0], dtype=torch.float64, device='cuda')).abs().max() < 1e-5

    x = torch.randn(32, in_channels, device='cuda', requires_grad=True)
    target = torch.randn(32, out_channels, device='cuda')
    with torch.autocast('cuda', dtype=torch.bfloat16):
        loss = VkDLoss(mode='smooth_l1')(projector(x), target)
    loss.backward()
    parameters = [p for p in projector.parameters() if p.requires_grad]
    assert torch.isfinite(loss) and all(torch.isfinite(p.grad).all() for p in parameters)
    assert x.grad is not None and torch.isfinite(x.grad).all()


def test_batch_whiten_on_cuda_under_autocast_gives_identity_covariance():
    x = (torch.randn(4096, 16) @ torch.randn(16, 16) + 2.0).cuda()
    with torch.autocast('cuda', dtype=torch.bfloat16):
        y = BatchWhiten(shrinkage=0.0, eps=0.0)(x)
    y = y.double()
    centred = y - y.mean(0)
    covariance = centred.t() @ centred / (y.shape[0] - 1)
    torch.testing.assert_close(covariance, torch.eye(16, dtype=torch.float64, device='cuda'),
                               atol=1e-4, rtol=0)
