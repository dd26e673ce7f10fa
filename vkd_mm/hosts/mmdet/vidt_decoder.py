"""ViDT's encoder-free deformable decoder: Deformable DETR's decoder plus a body-token level."""
from typing import Tuple

import torch
from mmdet.models.layers import DeformableDetrTransformerDecoder
from mmdet.models.layers.transformer import inverse_sigmoid
from torch import nn

from .deformable_attention import PortableDeformableAttention

__all__ = ['ViDTTransformerDecoder']


class ViDTTransformerDecoder(DeformableDetrTransformerDecoder):
    """Deformable DETR's decoder (same layers, same iterative box refinement) with ViDT's extra
    first level.

    ViDT's [DET] tokens leave the backbone already attending to the image, so they are a
    prediction level of their own: ``reg_branches[0]`` refines the reference points from the
    body tokens before the first layer, and layer ``i`` uses ``reg_branches[i + 1]``. The body
    tokens and their refined references are prepended to the layers' intermediate outputs.
    ``reg_branches`` is therefore required and has ``num_layers + 1`` entries.

    The layers' cross-attention is :class:`PortableDeformableAttention`: mmcv's module, which
    also runs on a GPU whose mmcv build has no CUDA kernels.
    """

    def _init_layers(self) -> None:
        """Deformable DETR's layers, their cross-attention made portable."""
        super()._init_layers()
        for layer in self.layers:
            layer.cross_attn = PortableDeformableAttention(**layer.cross_attn_cfg)

    def forward(self, query: torch.Tensor, query_pos: torch.Tensor, value: torch.Tensor,
                key_padding_mask: torch.Tensor, reference_points: torch.Tensor,
                spatial_shapes: torch.Tensor, level_start_index: torch.Tensor,
                valid_ratios: torch.Tensor, reg_branches: nn.ModuleList,
                **kwargs) -> Tuple[torch.Tensor, torch.Tensor]:
        """
        Args:
            query (Tensor): body [DET] tokens, (bs, num_queries, dim).
            query_pos (Tensor): their position embedding, (bs, num_queries, dim).
            value (Tensor): flattened multi-level patch tokens, (bs, num_value, dim).
            key_padding_mask (Tensor): (bs, num_value), True on padding.
            reference_points (Tensor): initial (cx, cy), (bs, num_queries, 2).
            spatial_shapes (Tensor): (num_levels, 2).
            level_start_index (Tensor): (num_levels, ).
            valid_ratios (Tensor): (bs, num_levels, 2).
            reg_branches (nn.ModuleList): num_layers + 1 box regression branches.

        Returns:
            tuple: hidden states (num_layers + 1, bs, num_queries, dim), the body tokens
            first, and the references after each level, (num_layers + 1, bs, num_queries, 4).
        """
        if reg_branches is None or len(reg_branches) != self.num_layers + 1:
            raise ValueError(f'ViDT refines boxes at {self.num_layers + 1} levels (body tokens '
                             f'and {self.num_layers} layers) and needs as many reg_branches')
        delta = reg_branches[0](query)
        body_reference = delta.clone()
        body_reference[..., :2] = delta[..., :2] + inverse_sigmoid(reference_points)
        body_reference = body_reference.sigmoid().detach()
        hidden_states, references = super().forward(
            query=query,
            query_pos=query_pos,
            value=value,
            key_padding_mask=key_padding_mask,
            reference_points=body_reference,
            spatial_shapes=spatial_shapes,
            level_start_index=level_start_index,
            valid_ratios=valid_ratios,
            reg_branches=reg_branches[1:],
            **kwargs)
        hidden_states = torch.cat([query[None], hidden_states])
        references = torch.cat([body_reference[None], references])
        return hidden_states, references
