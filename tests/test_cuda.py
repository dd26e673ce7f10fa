"""The fast paths on a CUDA device: same numbers as on the CPU, fp32 where it matters under
autocast. Skipped where no GPU is present (CI); run them with ``pytest tests/test_cuda.py`` on a
machine with one."""
import math

import pytest
import torch
from mmengine.model import BaseModel
from mmengine.runner import Runner
from torch import nn
from torch.nn import functional as F
from torch.utils.data import Dataset

from vkd_mm.models import BatchSampleWhiten, BatchWhiten, OrthogonalProjector, VkDLoss, WKDLogitLoss
from vkd_mm.models.ops import sinkhorn_distance
from vkd_mm.models.projectors import ORTHOGONAL_MAPS
from vkd_mm.registry import MODELS
from vkd_mm.utils import use_checkpoint_policy

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
    projector = OrthogonalProjector(in_channels, out_channels, orthogonal_map=orthogonal_map).cuda()
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
    torch.testing.assert_close(
        covariance, torch.eye(16, dtype=torch.float64, device='cuda'), atol=1e-4, rtol=0)


def test_batch_sample_whiten_on_cuda_under_autocast_gives_identity_gram():
    x = (torch.randn(50, 512) * torch.linspace(0.1, 4.0, 512) + 3.0).cuda()
    with torch.autocast('cuda', dtype=torch.bfloat16):
        y = BatchSampleWhiten()(x)
    assert y.dtype == torch.float32 and y.is_cuda
    torch.testing.assert_close(y @ y.t(), torch.eye(50, device='cuda'), atol=1e-5, rtol=0)
    torch.testing.assert_close(y.cpu(), BatchSampleWhiten()(x.cpu()), atol=1e-5, rtol=0)


class TinyConvClassifier(BaseModel):
    """A plain MMEngine model (conv -> BN -> ReLU -> pool -> linear) for the distiller on CUDA."""

    def __init__(self, width: int, num_classes: int = 4, data_preprocessor=None) -> None:
        super().__init__(data_preprocessor=data_preprocessor)
        self.body = nn.Sequential(
            nn.Conv2d(3, width, 3, padding=1), nn.BatchNorm2d(width), nn.ReLU())
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.head = nn.Linear(width, num_classes)

    def forward(self, inputs, data_samples=None, mode='tensor'):
        logits = self.head(self.pool(self.body(inputs)).flatten(1))
        if mode == 'loss':
            return dict(loss_cls=F.cross_entropy(logits, data_samples))
        return logits


class RandomImages(Dataset):

    def __len__(self) -> int:
        return 64

    def __getitem__(self, index: int) -> dict:
        generator = torch.Generator().manual_seed(index)
        return dict(inputs=torch.randn(3, 16, 16, generator=generator), data_samples=index % 4)


def distillation_runner(work_dir: str, max_iters: int, resume: bool, amp: bool = True) -> Runner:
    """A real MMEngine runner distilling a width-32 into a width-8 conv net with V_kD."""
    optim_wrapper = dict(type='AmpOptimWrapper', dtype='bfloat16') if amp else dict()
    MODELS.register_module('TinyConvClassifier', module=TinyConvClassifier, force=True)
    use_checkpoint_policy()  # resume reads MMEngine's checkpoint, as tools/train.py does
    return Runner(
        model=dict(
            type='VkDDistiller',
            student=dict(type='TinyConvClassifier', width=8),
            teacher=dict(type='TinyConvClassifier', width=32),
            distill=[
                dict(
                    name='pooled',
                    student=dict(path='pool', channels=8),
                    teacher=dict(path='pool', channels=32),
                    projector=dict(type='OrthogonalProjector', orthogonal_map='matrix_exp'),
                    teacher_norm=dict(type='BatchStandardize'),
                    loss=dict(type='VkDLoss', mode='smooth_l1'))
            ]),
        work_dir=work_dir,
        train_dataloader=dict(
            dataset=RandomImages(),
            batch_size=16,
            sampler=dict(type='DefaultSampler', shuffle=True),
            collate_fn=dict(type='default_collate')),
        train_cfg=dict(by_epoch=False, max_iters=max_iters),
        optim_wrapper=dict(
            optimizer=dict(type='AdamW', lr=1e-3, weight_decay=0.05), **optim_wrapper),
        default_hooks=dict(
            checkpoint=dict(type='CheckpointHook', by_epoch=False, interval=4),
            logger=dict(type='LoggerHook', interval=1)),
        resume=resume,
        default_scope=None)


def test_distiller_trains_with_amp_on_cuda_and_resumes(tmp_path):
    runner = distillation_runner(str(tmp_path), max_iters=4, resume=False)
    runner.train()
    model = runner.model
    assert next(model.pairs.parameters()).is_cuda
    loss = runner.message_hub.get_scalar('train/loss_vkd_pooled').current()
    assert math.isfinite(loss)
    assert not model.teacher.training and all(p.grad is None for p in model.teacher.parameters())
    weight = model.pairs['pooled'].projector.weight.detach().double()
    assert (weight.t() @ weight - torch.eye(8, dtype=torch.float64, device='cuda')).abs().max() \
        < 1e-5

    resumed = distillation_runner(str(tmp_path), max_iters=6, resume=True)
    resumed.train()
    # AdamW's step count shows the optimiser state came back from iteration 4
    steps = {int(state['step']) for state in resumed.optim_wrapper.optimizer.state.values()}
    assert resumed.iter == 6 and steps == {6}


@pytest.mark.parametrize('teacher_dtype', ['bf16', 'fp16'])
def test_reduced_precision_teacher_on_cuda_gives_fp32_features_close_to_fp32(teacher_dtype):
    MODELS.register_module('TinyConvClassifier', module=TinyConvClassifier, force=True)
    inputs = torch.randn(16, 3, 16, 16, device='cuda')
    labels = torch.arange(16, device='cuda') % 4
    results = {}
    for dtype in ('fp32', teacher_dtype):
        torch.manual_seed(0)
        model = MODELS.build(
            dict(
                type='VkDDistiller',
                student=dict(type='TinyConvClassifier', width=8),
                teacher=dict(type='TinyConvClassifier', width=32),
                teacher_dtype=dtype,
                distill=[
                    dict(
                        name='pooled',
                        student=dict(path='pool', channels=8),
                        teacher=dict(path='pool', channels=32))
                ])).cuda()
        teacher_before = {k: v.clone() for k, v in model.teacher.state_dict().items()}
        feats = model.forward_teacher(inputs, labels)['pooled']
        loss = model(inputs, labels, mode='loss')['loss_vkd_pooled']
        loss.backward()
        grads = [p.grad for p in model.student.body.parameters()]  # the head is past the pool
        assert all(g is not None and torch.isfinite(g).all() for g in grads)
        assert all(torch.equal(v, teacher_before[k]) for k, v in model.teacher.state_dict().items())
        results[dtype] = feats, loss.item()
    feats, loss = results[teacher_dtype]
    reference, reference_loss = results['fp32']
    assert feats.dtype == torch.float32 and not torch.equal(feats, reference)
    assert float((feats - reference).norm() / reference.norm()) < 1e-2
    assert math.isclose(loss, reference_loss, rel_tol=1e-2)
