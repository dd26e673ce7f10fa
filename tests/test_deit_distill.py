"""The V_kD DeiT recipe: heads, logit distillation, export into stock mmpretrain DeiT."""
import copy
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import DefaultScope
from mmengine.runner import load_checkpoint

from vkd_mm.hosts.mmpretrain import ConvStemDistilledViT
from vkd_mm.registry import MODELS
from vkd_mm.utils import export_student_state_dict
from .conftest import REPO_ROOT
from .test_distiller import toy_batch

TOY = osp.join(REPO_ROOT, 'configs/toy')
VKD_DEIT = osp.join(TOY, 'vkd_deit-tiny-4l-p4_resnet18-w32_8e_toy-shapes.py')
STOCK_DISTILLED_DEIT = osp.join(TOY, 'deit-tiny-4l-p4-distilled_toy-shapes.py')


def build_from(path, **overrides):
    cfg = Config.fromfile(path)
    model = copy.deepcopy(cfg.model)
    model.update(overrides)
    model.setdefault('data_preprocessor', cfg.data_preprocessor)
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        return MODELS.build(model)


@pytest.fixture(scope='module')
def distiller():
    return build_from(VKD_DEIT)


def test_class_head_gets_the_labels_and_distillation_head_the_teacher(distiller):
    data = distiller.data_preprocessor(toy_batch(), True)
    losses = distiller(**data, mode='loss')
    assert set(losses) == {'loss', 'loss_vkd_repr', 'loss_kd_dist'}
    distiller.zero_grad()
    losses['loss'].backward(retain_graph=True)
    head = distiller.student.head.layers
    assert head.head.weight.grad.abs().sum() > 0
    assert head.head_dist.weight.grad is None or head.head_dist.weight.grad.abs().sum() == 0
    distiller.zero_grad()
    losses['loss_kd_dist'].backward()
    assert head.head_dist.weight.grad.abs().sum() > 0


def test_kl_term_matches_a_direct_computation(distiller):
    data = distiller.data_preprocessor(toy_batch(), True)
    with distiller.student_recorder.record() as student_feats:
        distiller.student(**data, mode='loss')
    teacher_feats = distiller.forward_teacher(**data)
    expected = torch.nn.functional.kl_div(
        torch.log_softmax(student_feats['dist'], 1),
        torch.softmax(teacher_feats['dist'], 1),
        reduction='batchmean')
    losses = distiller.loss_pairs(student_feats, teacher_feats, data['data_samples'])
    torch.testing.assert_close(losses['loss_kd_dist'], expected)


def test_exported_student_is_a_stock_distilled_deit(distiller, tmp_path):
    checkpoint = {'state_dict': distiller.state_dict(), 'meta': {}}
    path = str(tmp_path / 'student.pth')
    torch.save({'state_dict': export_student_state_dict(checkpoint)}, path)
    stock = build_from(STOCK_DISTILLED_DEIT)
    assert type(stock.head).__name__ == 'DeiTClsHead'
    load_checkpoint(stock, path, map_location='cpu', strict=True)
    x = torch.randn(3, 3, 32, 32)
    with torch.no_grad():
        torch.testing.assert_close(stock.eval()(x, mode='tensor'),
                                   distiller.eval().student(x, mode='tensor'))


def test_conv_stem_student_uses_a_mean_of_patches_distillation_token():
    backbone = ConvStemDistilledViT(arch='deit-tiny', img_size=224, out_type='raw')
    backbone.init_weights()
    assert not hasattr(backbone, 'dist_token')
    assert 'dist_token' not in dict(backbone.named_parameters())
    patches, resolution = backbone.patch_embed(torch.randn(2, 3, 224, 224))
    assert patches.shape == (2, 196, 192) and resolution == (14, 14)
    tokens = backbone(torch.randn(2, 3, 224, 224))[0]
    assert tokens.shape == (2, 198, 192)
    with pytest.raises(
            ValueError, match=r'patch_size \(10\) must be a multiple of its stem_stride'):
        ConvStemDistilledViT(arch='deit-tiny', patch_size=10, stem_stride=4)


def test_conv_stem_student_scales_to_small_images():
    """28 x 28 grey images with stem stride 1 and patch size 7: a 4 x 4 grid of tokens."""
    arch = dict(embed_dims=64, num_layers=1, num_heads=2, feedforward_channels=128)
    backbone = ConvStemDistilledViT(
        arch=arch,
        img_size=28,
        patch_size=7,
        stem_stride=1,
        stem_channels=8,
        in_channels=1,
        out_type='raw')
    backbone.init_weights()
    assert backbone.patch_embed.stem[0].stride == (1, 1)
    assert backbone.patch_embed.projection.kernel_size == (7, 7)
    patches, resolution = backbone.patch_embed(torch.randn(2, 1, 28, 28))
    assert patches.shape == (2, 16, 64) and resolution == (4, 4)
    assert backbone(torch.randn(2, 1, 28, 28))[0].shape == (2, 18, 64)
