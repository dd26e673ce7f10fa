import copy

import pytest
import torch
from mmengine.optim import OptimWrapper
from mmengine.registry import DefaultScope

from vkd_mm.registry import MODELS


def build(cfg, **overrides):
    cfg = copy.deepcopy(cfg)
    cfg.update(overrides)
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        return MODELS.build(cfg)


def toy_batch(batch_size=6, size=32):
    from mmpretrain.structures import DataSample
    return dict(
        inputs=[
            torch.randint(0, 256, (3, size, size), dtype=torch.uint8) for _ in range(batch_size)
        ],
        data_samples=[DataSample().set_gt_label(i % 6) for i in range(batch_size)])


def clone_state(module):
    return {k: v.detach().clone() for k, v in module.state_dict().items()}


def test_loss_has_student_and_vkd_terms(vkd_cfg):
    model = build(vkd_cfg)
    data = model.data_preprocessor(toy_batch(), True)
    losses = model(**data, mode='loss')
    assert set(losses) == {'loss', 'loss_vkd_pooled'}
    assert all(torch.isfinite(v) for v in losses.values())


def test_train_step_updates_student_and_projector_not_teacher(vkd_cfg):
    model = build(vkd_cfg)
    model.train()
    teacher_before = clone_state(model.teacher)
    student_before = clone_state(model.student)
    projector_before = clone_state(model.pairs)
    optim = OptimWrapper(torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=0.05))
    model.train_step(toy_batch(), optim)

    teacher_after = model.teacher.state_dict()
    assert all(torch.equal(teacher_before[k], teacher_after[k]) for k in teacher_before), \
        'teacher weights or BN statistics changed'
    assert all(p.grad is None for p in model.teacher.parameters())
    assert not model.teacher.training
    assert any(not torch.equal(student_before[k], v) for k, v in model.student.state_dict().items())
    assert any(not torch.equal(projector_before[k], v) for k, v in model.pairs.state_dict().items())


def test_gradients_of_the_vkd_term_reach_the_student(vkd_cfg):
    model = build(vkd_cfg)
    data = model.data_preprocessor(toy_batch(), True)
    model(**data, mode='loss')['loss_vkd_pooled'].backward()
    grads = [p.grad for p in model.student.backbone.parameters()]
    assert any(g is not None and g.abs().sum() > 0 for g in grads)
    assert all(p.grad is None for p in model.teacher.parameters())


def test_teacher_stays_frozen_through_train_and_init_weights(vkd_cfg):
    model = build(vkd_cfg)
    teacher_before = clone_state(model.teacher)
    model.train(True)
    assert model.student.training and not model.teacher.training
    assert not any(m.training for m in model.teacher.modules())
    model.init_weights()
    assert all(torch.equal(teacher_before[k], v) for k, v in model.teacher.state_dict().items())
    assert not any(p.requires_grad for p in model.teacher.parameters())


def test_teacher_checkpoint_is_loaded_strictly(vkd_cfg, tmp_path):
    reference = build(vkd_cfg)
    path = str(tmp_path / 'teacher.pth')
    torch.save({'state_dict': reference.teacher.state_dict(), 'meta': {}}, path)
    model = build(vkd_cfg, teacher_ckpt=path)
    for key, value in reference.teacher.state_dict().items():
        assert torch.equal(model.teacher.state_dict()[key], value)


def test_wrong_teacher_checkpoint_reports_keys_readably(vkd_cfg, tmp_path):
    reference = build(vkd_cfg)
    path = str(tmp_path / 'student_as_teacher.pth')
    torch.save({'state_dict': reference.student.state_dict()}, path)
    with pytest.raises(ValueError) as error:
        build(vkd_cfg, teacher_ckpt=path)
    message = str(error.value)
    assert 'teacher does not match teacher checkpoint' in message
    assert 'keys with other shapes' in message and 'backbone.conv1.weight' in message
    # strict=False loads what fits and keeps going
    build(vkd_cfg, teacher_ckpt=path, teacher_ckpt_strict=False)


def test_unknown_layer_lists_the_nearest_module_names(vkd_cfg):
    cfg = copy.deepcopy(vkd_cfg)
    cfg.distill[0].student.path = 'backbone.layer5'
    with pytest.raises(
            ValueError, match=r"student has no module 'backbone.layer5'.*backbone.layer"):
        build(cfg)


def test_channel_mismatch_names_both_sizes(vkd_cfg):
    cfg = copy.deepcopy(vkd_cfg)
    cfg.distill[0].teacher.channels = 512
    model = build(cfg)
    data = model.data_preprocessor(toy_batch(), True)
    with pytest.raises(ValueError, match=r"teacher feature at 'neck' has 256 channels.*says 512"):
        model(**data, mode='loss')


def test_unknown_pair_key_is_rejected(vkd_cfg):
    cfg = copy.deepcopy(vkd_cfg)
    cfg.distill[0].projecter = dict(type='LinearProjector')
    with pytest.raises(ValueError, match='unknown keys'):
        build(cfg)


def test_predict_runs_the_student_only(vkd_cfg):
    model = build(vkd_cfg).eval()
    data = model.data_preprocessor(toy_batch(), False)
    with torch.no_grad():
        predictions = model(**data, mode='predict')
        direct = model.student(**data, mode='predict')
    for ours, theirs in zip(predictions, direct):
        torch.testing.assert_close(ours.pred_score, theirs.pred_score)


def test_loss_is_finite_under_autocast(vkd_cfg):
    model = build(vkd_cfg)
    data = model.data_preprocessor(toy_batch(), True)
    with torch.autocast('cpu', dtype=torch.bfloat16):
        losses = model(**data, mode='loss')
    assert losses['loss_vkd_pooled'].dtype == torch.float32
    sum(losses.values()).backward()
    assert all(torch.isfinite(p.grad).all() for p in model.pairs.parameters())


def test_distils_an_mmdet_detector():
    """A RetinaNet student and teacher from mmdet's registry, V_kD on an FPN level."""
    from mmdet.testing import demo_mm_inputs

    def retinanet(width):
        return dict(
            type='RetinaNet',
            data_preprocessor=dict(
                type='DetDataPreprocessor',
                mean=[0, 0, 0],
                std=[1, 1, 1],
                bgr_to_rgb=True,
                pad_size_divisor=32),
            backbone=dict(
                type='ResNet',
                depth=18,
                base_channels=width,
                out_indices=(1, 2, 3),
                norm_cfg=dict(type='BN'),
                init_cfg=None),
            neck=dict(
                type='FPN',
                in_channels=[2 * width, 4 * width, 8 * width],
                out_channels=width,
                start_level=0,
                add_extra_convs='on_input',
                num_outs=3),
            bbox_head=dict(
                type='RetinaHead',
                num_classes=3,
                in_channels=width,
                stacked_convs=1,
                feat_channels=width,
                anchor_generator=dict(
                    type='AnchorGenerator',
                    octave_base_scale=4,
                    scales_per_octave=1,
                    ratios=[1.0],
                    strides=[8, 16, 32]),
                bbox_coder=dict(
                    type='DeltaXYWHBBoxCoder', target_means=[0.0] * 4, target_stds=[1.0] * 4),
                loss_cls=dict(
                    type='FocalLoss', use_sigmoid=True, gamma=2.0, alpha=0.25, loss_weight=1.0),
                loss_bbox=dict(type='L1Loss', loss_weight=1.0)),
            train_cfg=dict(
                assigner=dict(
                    type='MaxIoUAssigner',
                    pos_iou_thr=0.5,
                    neg_iou_thr=0.4,
                    min_pos_iou=0,
                    ignore_iof_thr=-1),
                sampler=dict(type='PseudoSampler'),
                allowed_border=-1,
                pos_weight=-1,
                debug=False),
            test_cfg=dict(
                nms_pre=100,
                min_bbox_size=0,
                score_thr=0.05,
                nms=dict(type='nms', iou_threshold=0.5),
                max_per_img=10))

    cfg = dict(
        type='VkDDistiller',
        student=retinanet(8),
        teacher=retinanet(16),
        distill=[
            dict(
                name='p3',
                student=dict(path='neck', index=0, channels=8),
                teacher=dict(path='neck', index=0, channels=16),
                student_norm=dict(type='BatchStandardize'))
        ])
    with DefaultScope.overwrite_default_scope('mmdet'):
        model = MODELS.build(cfg)
        batch = demo_mm_inputs(2, [[3, 64, 64], [3, 64, 64]], num_classes=3)
        data = model.data_preprocessor(batch, True)
        losses = model(**data, mode='loss')
    assert 'loss_vkd_p3' in losses and 'loss_cls' in losses
    assert torch.isfinite(losses['loss_vkd_p3'])
    losses['loss_vkd_p3'].backward()
    assert model.pairs['p3'].projector.orthogonal_map.generator.grad is not None
