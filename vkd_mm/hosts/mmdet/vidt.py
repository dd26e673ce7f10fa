"""ViDT in MMDetection: a Swin body with RAM and [DET] tokens, an encoder-free deformable decoder
and Deformable DETR's head with one extra prediction level.

Paper: "ViDT: An Efficient and Effective Fully Transformer-based Object Detector", Song et al.,
ICLR 2022. Official code: https://github.com/naver-ai/vidt (``methods/vidt/``).
"""
from typing import Dict, List, Optional, Tuple

import torch
import torch.nn.functional as F
from mmcv.ops import MultiScaleDeformableAttention
from mmdet.models.detectors import DetectionTransformer
from mmdet.structures import OptSampleList, SampleList
from torch import nn

from vkd_mm.registry import MODELS
from .vidt_decoder import ViDTTransformerDecoder

__all__ = ['ViDT']


def conv1x1_gn(in_channels: int, out_channels: int, num_groups: int = 32) -> nn.Sequential:
    """A 1x1 conv then GroupNorm: ViDT's token projection (keys ``0.*`` and ``1.*``)."""
    return nn.Sequential(
        nn.Conv2d(in_channels, out_channels, kernel_size=1), nn.GroupNorm(num_groups, out_channels))


@MODELS.register_module()
class ViDT(DetectionTransformer):
    r"""ViDT detector (Song et al., ICLR 2022) built from MMDetection parts.

    Dataflow::

        images, padding mask -> ViDTSwin -> patch features (4 levels), [DET] tokens, [DET] pos
          patch features -> input_proj (1x1 conv + GN) -> memory      \
          [DET] tokens   -> tgt_proj                -> query           +-> decoder -> head
          [DET] pos      -> query_pos_proj -> query_pos, reference points /

    There is no encoder: ``forward_encoder`` passes the memory through. Compared with
    :class:`mmdet.models.DeformableDETR`: the queries are the backbone's [DET] tokens rather
    than learned embeddings; the memory carries no position or level embedding; the decoder
    (:class:`ViDTTransformerDecoder`) adds the body tokens as a prediction level, so the head
    has ``decoder.num_layers + 1`` branches, all with box refinement. The decoder layers, the
    head, its Hungarian assigner, losses and top-k post-processing are mmdet's.

    Module names follow the official detector where they can (``input_proj``, ``tgt_proj``,
    ``query_pos_proj``); :mod:`.vidt_checkpoint` converts official checkpoints.

    Args:
        backbone (dict): a :class:`ViDTSwin` config; its ``num_det_tokens`` are the queries.
        decoder (dict): :class:`ViDTTransformerDecoder` arguments (``num_layers``,
            ``layer_cfg``; ``post_norm_cfg`` must be None).
        bbox_head (dict): a ``DeformableDETRHead`` config without ``num_pred_layer``,
            ``share_pred_layer`` and ``as_two_stage``, which the detector sets.
        embed_dims (int): width of the decoder. Default: 256.
        train_cfg, test_cfg, data_preprocessor, init_cfg: as in mmdet.
    """

    def __init__(self,
                 backbone: dict,
                 decoder: dict,
                 bbox_head: dict,
                 embed_dims: int = 256,
                 train_cfg: Optional[dict] = None,
                 test_cfg: Optional[dict] = None,
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None) -> None:
        for key in ('num_pred_layer', 'share_pred_layer', 'as_two_stage'):
            if key in bbox_head:
                raise ValueError(f'ViDT sets bbox_head.{key} itself; remove it from the config')
        bbox_head = dict(
            bbox_head,
            num_pred_layer=decoder['num_layers'] + 1,
            share_pred_layer=False,
            as_two_stage=False)
        self.embed_dims = embed_dims
        super().__init__(
            backbone=backbone,
            decoder=decoder,
            bbox_head=bbox_head,
            num_queries=backbone.get('num_det_tokens', 100),
            train_cfg=train_cfg,
            test_cfg=test_cfg,
            data_preprocessor=data_preprocessor,
            init_cfg=init_cfg)

    def _init_layers(self) -> None:
        """Token projections, the reference-point layer and the decoder."""
        self.input_proj = nn.ModuleList(
            [conv1x1_gn(channels, self.embed_dims) for channels in self.backbone.num_channels])
        self.tgt_proj = conv1x1_gn(self.backbone.det_channels, self.embed_dims)
        self.query_pos_proj = conv1x1_gn(self.embed_dims, self.embed_dims)
        self.reference_points = nn.Linear(self.embed_dims, 2)
        self.decoder = ViDTTransformerDecoder(**self.decoder)
        if self.decoder.embed_dims != self.embed_dims:
            raise ValueError(f'decoder width {self.decoder.embed_dims} differs from '
                             f'embed_dims {self.embed_dims}')

    def init_weights(self) -> None:
        """Official init: xavier for the decoder, the projections and the reference layer, the
        deformable-attention init, then the head's (prior 0.01, zero box deltas)."""
        super().init_weights()
        for param in self.decoder.parameters():
            if param.dim() > 1:
                nn.init.xavier_uniform_(param)
        for module in self.decoder.modules():
            if isinstance(module, MultiScaleDeformableAttention):
                module.init_weights()
        nn.init.xavier_uniform_(self.reference_points.weight)
        for proj in [*self.input_proj, self.tgt_proj, self.query_pos_proj]:
            nn.init.xavier_uniform_(proj[0].weight)
            nn.init.zeros_(proj[0].bias)

    @staticmethod
    def input_mask(batch_inputs: torch.Tensor,
                   batch_data_samples: OptSampleList) -> Optional[torch.Tensor]:
        """Padding mask (bs, H, W), True on padded pixels; None when nothing is padded."""
        if not batch_data_samples:
            return None
        height, width = batch_inputs.shape[-2:]
        shapes = [sample.img_shape for sample in batch_data_samples]
        if all(tuple(shape[:2]) == (height, width) for shape in shapes):
            return None
        mask = batch_inputs.new_ones((len(shapes), height, width), dtype=torch.bool)
        for index, (img_h, img_w) in enumerate(shape[:2] for shape in shapes):
            mask[index, :img_h, :img_w] = False
        return mask

    def extract_feat(self,
                     batch_inputs: torch.Tensor,
                     batch_data_samples: OptSampleList = None) -> Tuple:
        """Run the body.

        Returns:
            tuple: patch features [(bs, C_l, H_l, W_l)] * 4, [DET] tokens (bs, C_det, Q),
            [DET] position embedding (1, pos_dims, Q), and the padding mask (bs, H, W) or None.
        """
        mask = self.input_mask(batch_inputs, batch_data_samples)
        feats, det_tgt, det_pos = self.backbone(batch_inputs, mask)
        return feats, det_tgt, det_pos, mask

    def loss(self, batch_inputs: torch.Tensor, batch_data_samples: SampleList) -> Dict:
        img_feats = self.extract_feat(batch_inputs, batch_data_samples)
        head_inputs_dict = self.forward_transformer(img_feats, batch_data_samples)
        # NOTE ViDT has no encoder proposals (Deformable DETR's two-stage outputs).
        return self.bbox_head.loss(
            **head_inputs_dict,
            enc_outputs_class=None,
            enc_outputs_coord=None,
            batch_data_samples=batch_data_samples)

    def predict(self,
                batch_inputs: torch.Tensor,
                batch_data_samples: SampleList,
                rescale: bool = True) -> SampleList:
        img_feats = self.extract_feat(batch_inputs, batch_data_samples)
        head_inputs_dict = self.forward_transformer(img_feats, batch_data_samples)
        results_list = self.bbox_head.predict(
            **head_inputs_dict, rescale=rescale, batch_data_samples=batch_data_samples)
        return self.add_pred_to_datasample(batch_data_samples, results_list)

    def _forward(self,
                 batch_inputs: torch.Tensor,
                 batch_data_samples: OptSampleList = None) -> Tuple[torch.Tensor, torch.Tensor]:
        img_feats = self.extract_feat(batch_inputs, batch_data_samples)
        head_inputs_dict = self.forward_transformer(img_feats, batch_data_samples)
        return self.bbox_head.forward(**head_inputs_dict)

    def pre_transformer(self,
                        img_feats: Tuple,
                        batch_data_samples: OptSampleList = None) -> Tuple[Dict, Dict]:
        """Project and flatten the patch features; resize the padding mask to every level.

        Returns:
            tuple[dict]: the encoder inputs (memory (bs, num_value, dim), [DET] tokens and
            position) and the decoder inputs (memory_mask (bs, num_value) or None,
            spatial_shapes (num_levels, 2), level_start_index (num_levels, ), valid_ratios
            (bs, num_levels, 2)).
        """
        feats, det_tgt, det_pos, mask = img_feats
        srcs = [proj(feat) for proj, feat in zip(self.input_proj, feats)]
        memory = torch.cat([src.flatten(2).transpose(1, 2) for src in srcs], dim=1)
        spatial_shapes = torch.as_tensor([src.shape[-2:] for src in srcs],
                                         dtype=torch.long,
                                         device=memory.device)
        level_start_index = torch.cat((spatial_shapes.new_zeros(
            (1, )), spatial_shapes.prod(1).cumsum(0)[:-1]))
        batch_size = memory.shape[0]
        if mask is None:
            memory_mask = None
            valid_ratios = memory.new_ones(batch_size, len(srcs), 2)
        else:
            level_masks = [
                F.interpolate(mask[None].float(), size=src.shape[-2:]).bool()[0] for src in srcs
            ]
            memory_mask = torch.cat([m.flatten(1) for m in level_masks], dim=1)
            valid_ratios = torch.stack([self.get_valid_ratio(m) for m in level_masks], 1)
        encoder_inputs_dict = dict(memory=memory, det_tgt=det_tgt, det_pos=det_pos)
        decoder_inputs_dict = dict(
            memory_mask=memory_mask,
            spatial_shapes=spatial_shapes,
            level_start_index=level_start_index,
            valid_ratios=valid_ratios)
        return encoder_inputs_dict, decoder_inputs_dict

    def forward_encoder(self, memory: torch.Tensor, det_tgt: torch.Tensor,
                        det_pos: torch.Tensor) -> Dict:
        """ViDT is encoder-free: the body already did the encoding; inputs pass through."""
        return dict(memory=memory, det_tgt=det_tgt, det_pos=det_pos)

    def pre_decoder(self, memory: torch.Tensor, det_tgt: torch.Tensor,
                    det_pos: torch.Tensor) -> Tuple[Dict, Dict]:
        """Queries from the [DET] tokens, reference points from their position embedding.

        Args:
            memory (Tensor): (bs, num_value, dim).
            det_tgt (Tensor): (bs, C_det, Q).
            det_pos (Tensor): (1, pos_dims, Q).

        Returns:
            tuple[dict]: decoder inputs (query, query_pos (bs, Q, dim), memory,
            reference_points (bs, Q, 2)) and an empty head-input dict.
        """
        # [bs, C, Q] -> [bs, C, Q, 1] -> 1x1 conv + GN -> [bs, Q, dim]
        query = self.tgt_proj(det_tgt.unsqueeze(-1)).squeeze(-1).transpose(1, 2)
        query_pos = self.query_pos_proj(det_pos.unsqueeze(-1)).squeeze(-1).transpose(1, 2)
        query_pos = query_pos.expand(memory.shape[0], -1, -1)
        reference_points = self.reference_points(query_pos).sigmoid()
        decoder_inputs_dict = dict(
            query=query, query_pos=query_pos, memory=memory, reference_points=reference_points)
        return decoder_inputs_dict, {}

    def forward_decoder(self, query: torch.Tensor, query_pos: torch.Tensor, memory: torch.Tensor,
                        memory_mask: Optional[torch.Tensor], reference_points: torch.Tensor,
                        spatial_shapes: torch.Tensor, level_start_index: torch.Tensor,
                        valid_ratios: torch.Tensor) -> Dict:
        """Decoder with box refinement by the head's regression branches.

        Returns:
            dict: ``hidden_states`` (num_layers + 1, bs, Q, dim) and ``references``, a list of
            the initial (bs, Q, 2) and num_layers + 1 refined (bs, Q, 4) references.
        """
        hidden_states, inter_references = self.decoder(
            query=query,
            query_pos=query_pos,
            value=memory,
            key_padding_mask=memory_mask,
            reference_points=reference_points,
            spatial_shapes=spatial_shapes,
            level_start_index=level_start_index,
            valid_ratios=valid_ratios,
            reg_branches=self.bbox_head.reg_branches)
        references: List[torch.Tensor] = [reference_points, *inter_references]
        return dict(hidden_states=hidden_states, references=references)

    @staticmethod
    def get_valid_ratio(mask: torch.Tensor) -> torch.Tensor:
        """Valid (w, h) fraction of a padding mask (bs, H, W) -> (bs, 2)."""
        _, height, width = mask.shape
        valid_h = (~mask[:, :, 0]).sum(1).float() / height
        valid_w = (~mask[:, 0, :]).sum(1).float() / width
        return torch.stack([valid_w, valid_h], -1)
