"""ViDT in MMDetection: the RAM body, the detector's three modes, training and loading."""
import copy
import os.path as osp

import pytest
import torch
from mmdet.registry import MODELS
from mmdet.structures import DetDataSample
from mmengine.config import Config
from mmengine.structures import InstanceData

from vkd_mm.hosts.mmdet import ViDTSwin
from .conftest import REPO_ROOT

pytestmark = pytest.mark.usefixtures('mmdet_scope')
VIDT_CONFIGS = {
    arch: osp.join(REPO_ROOT, f'configs/vidt/vidt_swin-{arch}_8xb2-50e_coco.py')
    for arch in ('nano', 'tiny', 'small', 'base')
}
TOY_VIDT = osp.join(REPO_ROOT, 'configs/toy/vidt_swin-nano_toy-coco.py')


def model_cfg(path, num_det_tokens=None):
    cfg = copy.deepcopy(Config.fromfile(path).model)
    cfg.backbone.init_cfg = None
    if num_det_tokens is not None:
        cfg.backbone.num_det_tokens = num_det_tokens
    return cfg


def build(path, num_det_tokens=None):
    model = MODELS.build(model_cfg(path, num_det_tokens))
    model.init_weights()
    return model


def detection_batch(shapes, batch_shape, num_classes=80):
    """Random images padded to ``batch_shape`` with two boxes each, as DetDataPreprocessor
    would hand them over."""
    height, width = batch_shape
    inputs = torch.randn(len(shapes), 3, height, width)
    samples = []
    for img_h, img_w in shapes:
        sample = DetDataSample(
            metainfo=dict(
                img_shape=(img_h, img_w),
                batch_input_shape=batch_shape,
                ori_shape=(img_h, img_w),
                scale_factor=(1., 1.)))
        sample.gt_instances = InstanceData(
            bboxes=torch.tensor([[4., 6., img_w / 2, img_h / 2],
                                 [img_w / 3, img_h / 4, img_w - 2., img_h - 3.]]),
            labels=torch.tensor([0, num_classes - 1]))
        samples.append(sample)
    return inputs, samples


@pytest.mark.parametrize('arch', ['nano', 'tiny', 'small', 'base'])
def test_every_variant_trains_and_predicts(arch):
    model = build(VIDT_CONFIGS[arch], num_det_tokens=8)
    inputs, samples = detection_batch([(64, 70), (50, 64)], (64, 70))
    model.train()
    losses = model(inputs, samples, mode='loss')
    # the final level plus 6 auxiliary ones: the body tokens (d0) and decoder layers 1-5
    assert {'loss_cls', 'loss_bbox', 'loss_iou', 'd0.loss_cls', 'd5.loss_iou'} <= set(losses)
    assert 'd6.loss_cls' not in losses
    total = sum(losses.values())
    assert torch.isfinite(total)
    total.backward()
    unused = [n for n, p in model.named_parameters() if p.grad is None]
    assert not unused, f'parameters without gradient (DDP would need find_unused): {unused[:5]}'

    model.eval()
    with torch.no_grad():
        classes, boxes = model(inputs, samples, mode='tensor')
        results = model(inputs, samples, mode='predict')
    assert classes.shape == (7, 2, 8, 80) and boxes.shape == (7, 2, 8, 4)
    # top-100 over queries x classes, as the official post-processing
    assert results[0].pred_instances.bboxes.shape == (100, 4)


def test_backbone_outputs_and_strides():
    backbone = ViDTSwin('nano', num_det_tokens=5)
    feats, det_tgt, det_pos = backbone(torch.randn(2, 3, 128, 96))
    assert [f.shape[1:] for f in feats] == [(96, 16, 12), (192, 8, 6), (384, 4, 3), (256, 2, 2)]
    assert det_tgt.shape == (2, 384, 5)
    assert det_pos.shape == (1, 256, 5)
    assert backbone.num_channels == [96, 192, 384, 256]


def test_patch_tokens_never_attend_to_det_tokens():
    """RAM: [PATCH x PATCH] attention only; the [DET] tokens cannot change patch features."""
    backbone = ViDTSwin('nano', num_det_tokens=4).eval()
    image = torch.randn(1, 3, 64, 64)
    with torch.no_grad():
        feats, det_before, _ = backbone(image)
        backbone.det_token.add_(1.0)
        feats_after, det_after, _ = backbone(image)
    for before, after in zip(feats[:3], feats_after[:3]):
        torch.testing.assert_close(before, after)
    assert not torch.allclose(det_before, det_after)


def test_padding_mask_reaches_the_det_cross_attention():
    backbone = ViDTSwin('nano', num_det_tokens=4).eval()
    image = torch.randn(1, 3, 128, 128)
    mask = torch.zeros(1, 128, 128, dtype=torch.bool)
    mask[:, :, 64:] = True
    with torch.no_grad():
        _, det_plain, _ = backbone(image)
        _, det_masked, _ = backbone(image, mask)
    assert not torch.allclose(det_plain, det_masked)


def test_losses_fall_over_a_few_steps():
    torch.manual_seed(0)
    model = build(TOY_VIDT)
    inputs, samples = detection_batch([(96, 96), (96, 96)], (96, 96), num_classes=3)
    optimizer = torch.optim.AdamW(model.parameters(), lr=4e-4)
    model.train()
    totals = []
    for _ in range(8):
        losses = model(inputs, samples, mode='loss')
        total = sum(losses.values())
        assert torch.isfinite(total)
        optimizer.zero_grad()
        total.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 0.1)
        optimizer.step()
        totals.append(total.item())
    assert totals[-1] < 0.8 * totals[0], totals


def test_detector_sets_the_head_layout_itself():
    cfg = model_cfg(TOY_VIDT)
    cfg.bbox_head.num_pred_layer = 6
    with pytest.raises(ValueError, match='num_pred_layer'):
        MODELS.build(cfg)


def test_unknown_arch_lists_the_known_ones():
    with pytest.raises(ValueError, match="'base'"):
        ViDTSwin('huge')


def test_pretrained_swin_weights_load_by_name(tmp_path):
    """An ImageNet Swin checkpoint (``model`` key, classifier head, the official unused norms)
    fills the body; the [DET] parts it lacks are reported."""
    source = ViDTSwin('nano', num_det_tokens=4)
    state = {
        k: v
        for k, v in source.state_dict().items()
        if not k.startswith(('det_', 'layers.3.downsample')) and 'det_pos_linear' not in k
    }
    state.update({'head.weight': torch.zeros(1000, 384), 'norm.weight': torch.ones(384)})
    path = str(tmp_path / 'swin_nano.pth')
    torch.save({'model': state}, path)

    backbone = ViDTSwin('nano', num_det_tokens=4, init_cfg=dict(type='Pretrained', checkpoint=path))
    missing = backbone.load_pretrained(path)
    assert 'det_token' in missing and 'layers.0.blocks.0.det_pos_linear.weight' in missing
    torch.testing.assert_close(backbone.layers[2].blocks[3].attn.qkv.weight,
                               source.layers[2].blocks[3].attn.qkv.weight)
    backbone.init_weights()
    torch.testing.assert_close(backbone.patch_embed.proj.weight, source.patch_embed.proj.weight)
