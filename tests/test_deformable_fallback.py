"""ViDT's deformable attention falls back to mmcv's PyTorch path where mmcv's kernel cannot run.

On this CPU machine the fallback is forced (the check says the kernel cannot run) and compared
with the stock path of mmcv's module: outputs and gradients must agree. The GPU case compares the
fallback with the compiled CUDA kernel and is skipped without CUDA.
"""
import copy
import warnings

import pytest
import torch
from mmcv.ops import MultiScaleDeformableAttention

from vkd_mm.hosts.mmdet import (PortableDeformableAttention, compiled_kernel_runs_on,
                                deformable_attention)
from .test_vidt import TOY_VIDT, build, detection_batch

SHAPES = torch.tensor([[8, 10], [4, 5], [2, 3]])


def attention_inputs(batch=2, num_query=7, dims=32, device='cpu', boxes=False):
    num_value = int((SHAPES[:, 0] * SHAPES[:, 1]).sum())
    starts = torch.cat([SHAPES.new_zeros(1), (SHAPES[:, 0] * SHAPES[:, 1]).cumsum(0)[:-1]])
    mask = torch.zeros(batch, num_value, dtype=torch.bool)
    mask[1, -5:] = True
    reference = torch.rand(batch, num_query, len(SHAPES), 4 if boxes else 2)
    tensors = dict(
        query=torch.randn(batch, num_query, dims, requires_grad=True),
        value=torch.randn(batch, num_value, dims),
        query_pos=torch.randn(batch, num_query, dims),
        key_padding_mask=mask,
        reference_points=reference,
        spatial_shapes=SHAPES,
        level_start_index=starts)
    return {
        k: v.to(device) if k != 'query' else v.detach().to(device).requires_grad_()
        for k, v in tensors.items()
    }


@pytest.fixture
def forced_fallback(monkeypatch):
    monkeypatch.setattr(deformable_attention, 'needs_pytorch_fallback', lambda value: True)
    monkeypatch.setattr(deformable_attention, '_warned', False)


def outputs_and_grads(module, inputs):
    module.zero_grad()
    inputs['query'].grad = None
    out = module(**inputs)
    out.square().sum().backward()
    return out.detach(), inputs['query'].grad.clone(), [p.grad.clone() for p in module.parameters()]


@pytest.mark.parametrize('boxes', [False, True], ids=['points', 'boxes'])
@pytest.mark.parametrize('batch_first', [True, False])
def test_forced_fallback_equals_the_stock_path(boxes, batch_first, monkeypatch):
    module = PortableDeformableAttention(
        embed_dims=32, num_heads=4, num_levels=3, num_points=2, batch_first=batch_first)
    module.init_weights()
    torch.nn.init.normal_(module.sampling_offsets.weight, std=0.1)  # offsets not all 0
    module.eval()  # dropout off
    inputs = attention_inputs(boxes=boxes)
    if not batch_first:
        for key in ('query', 'value', 'query_pos'):
            inputs[key] = inputs[key].detach().transpose(0, 1).contiguous()
        inputs['query'].requires_grad_()

    stock = outputs_and_grads(module, inputs)
    monkeypatch.setattr(deformable_attention, 'needs_pytorch_fallback', lambda value: True)
    monkeypatch.setattr(deformable_attention, '_warned', False)
    with pytest.warns(UserWarning, match='pure-PyTorch multi_scale_deformable_attn_pytorch'):
        fallback = outputs_and_grads(module, inputs)
    torch.testing.assert_close(fallback[0], stock[0], rtol=0, atol=0)
    torch.testing.assert_close(fallback[1], stock[1], rtol=0, atol=0)
    for got, want in zip(fallback[2], stock[2]):
        torch.testing.assert_close(got, want, rtol=0, atol=0)

    # the warning comes once per process
    with warnings.catch_warnings():
        warnings.simplefilter('error')
        module(**inputs)


def test_vidt_uses_the_portable_attention_and_matches_with_it_forced(forced_fallback, monkeypatch,
                                                                     mmdet_scope):
    model = build(TOY_VIDT, num_det_tokens=6).eval()
    attentions = [m for m in model.modules() if isinstance(m, MultiScaleDeformableAttention)]
    assert attentions and all(isinstance(m, PortableDeformableAttention) for m in attentions)
    inputs, samples = detection_batch([(64, 64), (48, 64)], (64, 64), num_classes=3)

    with pytest.warns(UserWarning, match='Cost:'):
        with torch.no_grad():
            fallback = model(inputs, copy.deepcopy(samples), mode='tensor')
    monkeypatch.setattr(deformable_attention, 'needs_pytorch_fallback', lambda value: False)
    with torch.no_grad():
        stock = model(inputs, copy.deepcopy(samples), mode='tensor')
    for got, want in zip(fallback, stock):
        torch.testing.assert_close(got, want, rtol=0, atol=0)


def test_kernel_check_on_this_build():
    assert compiled_kernel_runs_on(torch.device('cpu')) is False
    from mmcv.ops import get_compiling_cuda_version
    if get_compiling_cuda_version() == 'not available':
        # a CPU-only mmcv: no probe needed, and a GPU would take the fallback
        assert compiled_kernel_runs_on(torch.device('cuda', 0)) is False


@pytest.mark.skipif(not torch.cuda.is_available(), reason='needs a GPU')
@pytest.mark.parametrize('boxes', [False, True], ids=['points', 'boxes'])
def test_fallback_matches_the_compiled_cuda_kernel(boxes, monkeypatch):
    if not compiled_kernel_runs_on(torch.device('cuda')):
        pytest.skip("this mmcv has no CUDA kernel to compare with")
    module = PortableDeformableAttention(
        embed_dims=32, num_heads=4, num_levels=3, num_points=2).cuda().eval()
    module.init_weights()
    inputs = attention_inputs(device='cuda', boxes=boxes)
    compiled = outputs_and_grads(module, inputs)
    monkeypatch.setattr(deformable_attention, 'needs_pytorch_fallback', lambda value: True)
    monkeypatch.setattr(deformable_attention, '_warned', False)
    with pytest.warns(UserWarning):
        fallback = outputs_and_grads(module, inputs)
    torch.testing.assert_close(fallback[0], compiled[0], rtol=1e-4, atol=1e-5)
    torch.testing.assert_close(fallback[1], compiled[1], rtol=1e-3, atol=1e-4)
