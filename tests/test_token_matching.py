"""ViDT's token-matching distillation: the per-group term, and the official combination of the
groups on a real ViDT student and teacher."""
import copy
import os.path as osp

import pytest
import torch
from mmdet.registry import MODELS
from mmengine.config import Config

from vkd_mm.models.losses import TokenMatchingLoss, token_matching_loss
from .conftest import REPO_ROOT
from .test_vidt import detection_batch

pytestmark = pytest.mark.usefixtures('mmdet_scope')
TOY_TM = osp.join(REPO_ROOT, 'configs/toy/token-matching_vidt_swin-nano_toy-coco.py')
GROUPS = ('patch8', 'patch16', 'patch32', 'patch64', 'body', 'neck')


def test_term_is_the_mean_token_distance():
    # two tokens of 2 channels: the first differs by (3, 4), distance 5; the second not at all
    student = torch.tensor([[3., 4.], [1., 1.]])
    teacher = torch.tensor([[0., 0.], [1., 1.]])
    assert token_matching_loss(student, teacher).item() == pytest.approx(2.5)
    # a feature map (B, C, H, W) is B*H*W tokens of C channels
    student_map = student.t().reshape(1, 2, 1, 2)
    teacher_map = teacher.t().reshape(1, 2, 1, 2)
    assert token_matching_loss(student_map, teacher_map).item() == pytest.approx(2.5)
    assert TokenMatchingLoss(loss_weight=7.0)(student, teacher).item() == pytest.approx(17.5)


def test_term_has_finite_gradient_at_zero_distance():
    student = torch.ones(3, 4, requires_grad=True)
    token_matching_loss(student, torch.ones(3, 4)).backward()
    assert torch.equal(student.grad, torch.zeros(3, 4))


def test_term_refuses_mismatched_shapes():
    with pytest.raises(ValueError, match=r'\(2, 3\).*\(2, 4\)'):
        token_matching_loss(torch.zeros(2, 3), torch.zeros(2, 4))


def official_loss_distil(student_feats, teacher_feats):
    """The official ViDT combination, written out from its definition: per group the mean over
    tokens of sqrt(sum over channels of the squared difference), the decoder group (L levels)
    times L, the square root of the sum, times the coefficient 4."""
    total = 0.0
    for name in GROUPS:
        student, teacher = student_feats[name], teacher_feats[name]
        if name == 'neck':  # [L, B, Q, C]
            levels = student.shape[0]
            student, teacher = student.reshape(-1, 256), teacher.reshape(-1, 256)
        else:  # [B, C, H, W]; the body tokens as [B, C, Q, 1]
            levels = 1
            student = student.permute(0, 2, 3, 1).reshape(-1, 256)
            teacher = teacher.permute(0, 2, 3, 1).reshape(-1, 256)
        distance = torch.sqrt(torch.sum(torch.pow(student - teacher, 2), dim=-1))
        total = total + torch.mean(distance) * levels
    return 4.0 * torch.sqrt(total)


@pytest.fixture(scope='module')
def distiller():
    model = MODELS.build(Config.fromfile(TOY_TM).model)
    model.init_weights()
    return model.train()


def test_loss_is_the_official_loss_distil(distiller):
    inputs, samples = detection_batch([(64, 64), (48, 64)], (64, 64), num_classes=3)
    losses, student_feats = distiller.forward_student(inputs, samples)
    teacher_feats = distiller.forward_teacher(inputs, samples)
    assert student_feats['neck'].shape[0] == 7
    combined = distiller.combine_pair_losses(
        distiller.loss_pairs(student_feats, teacher_feats, samples))
    expected = official_loss_distil(student_feats, teacher_feats)
    assert combined['loss_tm'].item() == pytest.approx(expected.item(), rel=1e-5)
    # each group's term is logged, not summed into the loss a second time
    assert set(combined) == {'loss_tm'} | {f'tm_{name}' for name in GROUPS}
    assert not any(value.requires_grad for key, value in combined.items() if key != 'loss_tm')


def test_loss_trains_the_student_only(distiller):
    inputs, samples = detection_batch([(64, 64)], (64, 64), num_classes=3)
    distiller.zero_grad()
    losses = distiller(inputs, samples, mode='loss')
    assert 'loss_tm' in losses and 'loss_cls' in losses
    losses['loss_tm'].backward()
    assert distiller.student.backbone.det_token.grad.abs().sum() > 0
    assert all(p.grad is None for p in distiller.teacher.parameters())
    assert not list(distiller.pairs.parameters())  # no projector, no normaliser


def test_identical_student_and_teacher_give_zero_and_finite_gradients(distiller):
    twin = copy.deepcopy(distiller)
    twin.teacher.load_state_dict(twin.student.state_dict())
    twin.eval()  # no dropout: both networks compute the same tokens
    inputs, samples = detection_batch([(64, 64)], (64, 64), num_classes=3)
    losses = twin.loss(inputs, samples)
    # the decoder of the student's loss path and the teacher's tensor path round differently
    for name in GROUPS:
        assert losses[f'tm_{name}'].item() < 1e-4, name
    losses['loss_tm'].backward()
    assert all(
        torch.isfinite(p.grad).all() for p in twin.student.parameters() if p.grad is not None)


def test_zero_sum_gives_a_zero_gradient(distiller):
    terms = {key: torch.zeros((), requires_grad=True) for key in distiller.token_keys}
    combined = distiller.combine_pair_losses(terms)
    assert combined['loss_tm'].item() < 1e-5
    combined['loss_tm'].backward()
    assert all(term.grad.item() == 0 for term in terms.values())


def test_distiller_without_token_matching_pairs_is_refused():
    cfg = copy.deepcopy(Config.fromfile(TOY_TM).model)
    for pair in cfg.distill:
        pair.loss = dict(type='VkDLoss')
    with pytest.raises(ValueError, match='TokenMatchingLoss'):
        MODELS.build(cfg)
