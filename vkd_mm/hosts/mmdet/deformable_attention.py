"""mmcv's multi-scale deformable attention, made to run on a GPU whose mmcv has no CUDA kernels.

mmcv's ``MultiScaleDeformableAttention`` calls its compiled kernel for every CUDA input. An mmcv
built without a CUDA toolkit (``pip`` on a machine without ``nvcc``) has no such kernel, and the
first CUDA forward fails with ``ms_deform_attn_impl_forward: implementation for device cuda:0
not found``. :class:`PortableDeformableAttention` checks once per device whether the kernel runs
and, where it does not, computes the same attention with mmcv's own pure-PyTorch
``multi_scale_deformable_attn_pytorch`` (the path mmcv itself takes on CPU), with a one-time
warning. Everywhere else it is mmcv's module, unchanged: same parameters, same state dict.
"""
import warnings
from typing import Dict, Optional

import torch
from mmcv.ops import MultiScaleDeformableAttention, get_compiling_cuda_version
from mmcv.ops.multi_scale_deform_attn import (MultiScaleDeformableAttnFunction,
                                              multi_scale_deformable_attn_pytorch)

__all__ = ['PortableDeformableAttention', 'compiled_kernel_runs_on', 'sampling_locations']

# device -> whether mmcv's compiled kernel ran there (probed once per device)
_kernel_runs: Dict[torch.device, bool] = {}
_warned = False  # the fallback warning is given once per process

FALLBACK_WARNING = (
    "mmcv's compiled MultiScaleDeformableAttention has no kernel for {device} (mmcv built with "
    "CUDA: {cuda}); the decoder runs mmcv's pure-PyTorch multi_scale_deformable_attn_pytorch "
    'instead. Cost: it samples each feature level with its own grid_sample call and keeps the '
    'sampled values, (batch x heads, head dims, queries, levels x points), for the backward '
    'pass, so training is slower and needs more memory than with the compiled kernel. Rebuild '
    'mmcv where a CUDA toolkit is installed (tools/setup_env.sh does so when nvcc is found).')


def compiled_kernel_runs_on(device: torch.device) -> bool:
    """Whether mmcv's compiled deformable-attention kernel runs on ``device``.

    False for a CPU (mmcv has no CPU kernel; its module takes the PyTorch path there) and for a
    GPU when mmcv was built without CUDA or without kernels for that GPU. Probed once per device
    with a tiny input.
    """
    device = torch.device(device)
    if device.type != 'cuda':
        return False
    if device not in _kernel_runs:
        runs = get_compiling_cuda_version() != 'not available'
        if runs:
            value = torch.zeros(1, 4, 1, 2, device=device)
            shapes = torch.tensor([[2, 2]], device=device)
            start = torch.zeros(1, dtype=torch.long, device=device)
            locations = torch.full((1, 1, 1, 1, 1, 2), 0.5, device=device)
            weights = torch.ones(1, 1, 1, 1, 1, device=device)
            try:
                with torch.no_grad():
                    MultiScaleDeformableAttnFunction.apply(value, shapes, start, locations, weights,
                                                           64)
            except RuntimeError:
                runs = False
        _kernel_runs[device] = runs
    return _kernel_runs[device]


def needs_pytorch_fallback(value: torch.Tensor) -> bool:
    """Whether mmcv's module would call a compiled kernel that cannot run for ``value``."""
    return value.is_cuda and not compiled_kernel_runs_on(value.device)


def sampling_locations(reference_points: torch.Tensor, offsets: torch.Tensor,
                       spatial_shapes: torch.Tensor, num_points: int) -> torch.Tensor:
    """Normalised sampling locations, as mmcv computes them.

    Args:
        reference_points (Tensor): (bs, num_query, num_levels, 2) points (cx, cy), or
            (bs, num_query, num_levels, 4) boxes (cx, cy, w, h), all in [0, 1].
        offsets (Tensor): (bs, num_query, num_heads, num_levels, num_points, 2).
        spatial_shapes (Tensor): (num_levels, 2), (h, w) of each level.
        num_points (int): sampling points per head and level.

    Returns:
        Tensor: (bs, num_query, num_heads, num_levels, num_points, 2).
    """
    if reference_points.shape[-1] == 2:
        # offsets are in pixels of each level: divide by its (w, h)
        size = spatial_shapes.flip(-1)[None, None, None, :, None, :]
        return reference_points[:, :, None, :, None, :] + offsets / size
    if reference_points.shape[-1] == 4:
        # offsets are in units of half the box over num_points
        boxes = reference_points[:, :, None, :, None, :]
        return boxes[..., :2] + offsets / num_points * boxes[..., 2:] * 0.5
    raise ValueError(f'the last dim of reference_points must be 2 or 4, got '
                     f'{reference_points.shape[-1]}')


class PortableDeformableAttention(MultiScaleDeformableAttention):
    """``mmcv.ops.MultiScaleDeformableAttention`` that falls back to mmcv's pure-PyTorch
    attention on a GPU where mmcv's compiled kernel does not run (see the module docstring).

    Arguments, parameters and the state dict are mmcv's.
    """

    def forward(self,
                query: torch.Tensor,
                key: Optional[torch.Tensor] = None,
                value: Optional[torch.Tensor] = None,
                identity: Optional[torch.Tensor] = None,
                query_pos: Optional[torch.Tensor] = None,
                key_padding_mask: Optional[torch.Tensor] = None,
                reference_points: Optional[torch.Tensor] = None,
                spatial_shapes: Optional[torch.Tensor] = None,
                level_start_index: Optional[torch.Tensor] = None,
                **kwargs) -> torch.Tensor:
        """mmcv's forward (shapes as documented there), or :meth:`forward_pytorch` where the
        compiled kernel cannot run."""
        if not needs_pytorch_fallback(query if value is None else value):
            return super().forward(query, key, value, identity, query_pos, key_padding_mask,
                                   reference_points, spatial_shapes, level_start_index, **kwargs)
        global _warned
        if not _warned:
            _warned = True
            warnings.warn(
                FALLBACK_WARNING.format(device=query.device, cuda=get_compiling_cuda_version()))
        return self.forward_pytorch(query, value, identity, query_pos, key_padding_mask,
                                    reference_points, spatial_shapes)

    def forward_pytorch(self, query: torch.Tensor, value: Optional[torch.Tensor],
                        identity: Optional[torch.Tensor], query_pos: Optional[torch.Tensor],
                        key_padding_mask: Optional[torch.Tensor], reference_points: torch.Tensor,
                        spatial_shapes: torch.Tensor) -> torch.Tensor:
        """The attention through ``multi_scale_deformable_attn_pytorch`` on any device.

        Args:
            query (Tensor): (bs, num_query, dims), or (num_query, bs, dims) if not
                ``batch_first``; ``value`` and ``identity`` alike, defaulting to ``query``.
            query_pos (Tensor, optional): added to ``query`` before the offsets and weights.
            key_padding_mask (Tensor, optional): (bs, num_value), True where padded.
            reference_points (Tensor): see :func:`sampling_locations`.
            spatial_shapes (Tensor): (num_levels, 2).

        Returns:
            Tensor: the shape of ``query``.
        """
        value = query if value is None else value
        identity = query if identity is None else identity
        if query_pos is not None:
            query = query + query_pos
        if not self.batch_first:
            # [n, bs, dims] -> [bs, n, dims]
            query, value = query.transpose(0, 1), value.transpose(0, 1)
        batch, num_query, _ = query.shape
        num_value = value.shape[1]
        value = self.value_proj(value)
        if key_padding_mask is not None:
            value = value.masked_fill(key_padding_mask[..., None], 0.0)
        # [bs, num_value, dims] -> [bs, num_value, heads, dims / heads]
        value = value.view(batch, num_value, self.num_heads, -1)
        offsets = self.sampling_offsets(query).view(batch, num_query, self.num_heads,
                                                    self.num_levels, self.num_points, 2)
        weights = self.attention_weights(query).view(batch, num_query, self.num_heads,
                                                     self.num_levels * self.num_points).softmax(-1)
        weights = weights.view(batch, num_query, self.num_heads, self.num_levels, self.num_points)
        locations = sampling_locations(reference_points, offsets, spatial_shapes, self.num_points)
        output = self.output_proj(
            multi_scale_deformable_attn_pytorch(value, spatial_shapes, locations, weights))
        if not self.batch_first:
            output = output.transpose(0, 1)
        return self.dropout(output) + identity
