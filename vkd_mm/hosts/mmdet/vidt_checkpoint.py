"""Convert official ViDT checkpoints (naver-ai/vidt, roymiles/vkd ``vidt/``) to :class:`ViDT`.

The official detector predicts 91 COCO category ids (0-90, with unused ids); mmdet predicts the
80 categories in the annotation file's order. Key mapping, official -> ours:

=================================================== =============================================
``backbone.*``                                      ``backbone.*`` (same names; see below)
``input_proj.*``, ``tgt_proj.*``, ``query_pos_proj.*`` unchanged
``transformer.reference_points.*``                  ``reference_points.*``
``transformer.decoder.layers.i.cross_attn.*``       ``decoder.layers.i.cross_attn.*``
``transformer.decoder.layers.i.self_attn.in_proj_*`` ``decoder.layers.i.self_attn.attn.in_proj_*``
``transformer.decoder.layers.i.self_attn.out_proj`` ``decoder.layers.i.self_attn.attn.out_proj``
``...norm2`` / ``norm1`` / ``norm3`` (post-norm order) ``...norms.0`` / ``norms.1`` / ``norms.2``
``...linear1`` / ``linear2``                        ``...ffn.layers.0.0`` / ``ffn.layers.1``
``class_embed.i`` (91 rows)                         ``bbox_head.cls_branches.i`` (80 rows)
``bbox_embed.i.layers.j``                           ``bbox_head.reg_branches.i.{2j}``
=================================================== =============================================

Dropped: parameters the official code creates but never uses (``transformer.level_embed``,
``backbone.norm{1,2,3}``, ``backbone.layers.i.downsample.{expansion,norm2}``) and
``transformer.decoder.bbox_embed.*``, an alias of ``bbox_embed.*``.
"""
import re
from typing import Dict

import torch

__all__ = ['COCO_CATEGORY_IDS', 'convert_official_vidt', 'to_official_vidt']

#: COCO's 80 category ids in annotation order; row ``COCO_CATEGORY_IDS[k]`` of an official
#: 91-way classifier is class ``k`` of mmdet's CocoDataset.
COCO_CATEGORY_IDS = (1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23,
                     24, 25, 27, 28, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40, 41, 42, 43, 44, 46, 47,
                     48, 49, 50, 51, 52, 53, 54, 55, 56, 57, 58, 59, 60, 61, 62, 63, 64, 65, 67, 70,
                     72, 73, 74, 75, 76, 77, 78, 79, 80, 81, 82, 84, 85, 86, 87, 88, 89, 90)
OFFICIAL_NUM_CLASSES = 91

_UNUSED = (r'transformer\.level_embed', r'backbone\.norm[123]\..*',
           r'backbone\.layers\.\d+\.downsample\.(expansion|norm2)\..*',
           r'transformer\.decoder\.bbox_embed\..*')
_UNSUPPORTED = (r'iou_embed\..*', r'transformer\.(enc_output|enc_output_norm|token_embed)\..*',
                r'fusion\..*')

# (official pattern, ours) for decoder layers; applied after the ``transformer.`` prefix goes.
_DECODER_RULES = (
    (r'self_attn\.(in_proj_weight|in_proj_bias|out_proj\..*)', r'self_attn.attn.\1'),
    (r'norm2\.', 'norms.0.'),
    (r'norm1\.', 'norms.1.'),
    (r'norm3\.', 'norms.2.'),
    (r'linear1\.', 'ffn.layers.0.0.'),
    (r'linear2\.', 'ffn.layers.1.'),
)
_DECODER_INVERSE = (
    (r'self_attn\.attn\.', 'self_attn.'),
    (r'norms\.0\.', 'norm2.'),
    (r'norms\.1\.', 'norm1.'),
    (r'norms\.2\.', 'norm3.'),
    (r'ffn\.layers\.0\.0\.', 'linear1.'),
    (r'ffn\.layers\.1\.', 'linear2.'),
)


def _matches(key: str, patterns) -> bool:
    return any(re.fullmatch(pattern, key) for pattern in patterns)


def _rows_to_80(tensor: torch.Tensor) -> torch.Tensor:
    if tensor.shape[0] != OFFICIAL_NUM_CLASSES:
        raise ValueError(f'expected an official {OFFICIAL_NUM_CLASSES}-way classifier, got '
                         f'{tensor.shape[0]} rows')
    return tensor[list(COCO_CATEGORY_IDS)].clone()


def _rows_to_91(tensor: torch.Tensor, fill: float) -> torch.Tensor:
    out = tensor.new_full((OFFICIAL_NUM_CLASSES, *tensor.shape[1:]), fill)
    out[list(COCO_CATEGORY_IDS)] = tensor
    return out


def convert_official_vidt(state_dict: Dict[str, torch.Tensor]) -> Dict[str, torch.Tensor]:
    """Official ViDT state dict (the ``model`` entry of its checkpoint) -> :class:`ViDT` keys.

    Raises:
        ValueError: on keys of options this port does not implement (IoU-aware head, token
            labels, cross-scale fusion) or keys it does not know, listed by name.
    """
    unsupported = sorted(k for k in state_dict if _matches(k, _UNSUPPORTED))
    if unsupported:
        raise ValueError('the checkpoint uses ViDT options this port does not implement '
                         f'(iou_aware / token_label / cross_scale_fusion): {unsupported[:5]}')
    converted, unknown = {}, []
    for key, value in state_dict.items():
        if _matches(key, _UNUSED):
            continue
        if key.startswith(('backbone.', 'input_proj.', 'tgt_proj.', 'query_pos_proj.')):
            converted[key] = value
        elif key.startswith('transformer.reference_points.'):
            converted[key[len('transformer.'):]] = value
        elif key.startswith('transformer.decoder.layers.'):
            new = key[len('transformer.'):]
            for pattern, replacement in _DECODER_RULES:
                new = re.sub(pattern, replacement, new)
            converted[new] = value
        elif match := re.fullmatch(r'class_embed\.(\d+)\.(weight|bias)', key):
            converted[f'bbox_head.cls_branches.{match[1]}.{match[2]}'] = _rows_to_80(value)
        elif match := re.fullmatch(r'bbox_embed\.(\d+)\.layers\.(\d+)\.(weight|bias)', key):
            converted[f'bbox_head.reg_branches.{match[1]}.{2 * int(match[2])}.{match[3]}'] = value
        else:
            unknown.append(key)
    if unknown:
        raise ValueError(f'{len(unknown)} keys of the checkpoint are not part of a ViDT '
                         f'detector: {sorted(unknown)[:10]}')
    return converted


def to_official_vidt(state_dict: Dict[str, torch.Tensor],
                     class_bias_fill: float = -4.59511985013459) -> Dict[str, torch.Tensor]:
    """Inverse of :func:`convert_official_vidt`: :class:`ViDT` keys -> the official layout.

    The 11 unused COCO ids get zero weights and ``class_bias_fill`` (the prior-0.01 bias the
    official init gives every row). The unused official parameters are not recreated, and
    ``transformer.decoder.bbox_embed.*`` aliases are written as in the official state dict.
    """
    official: Dict[str, torch.Tensor] = {}
    for key, value in state_dict.items():
        if key.startswith(('backbone.', 'input_proj.', 'tgt_proj.', 'query_pos_proj.')):
            official[key] = value
        elif key.startswith('reference_points.'):
            official['transformer.' + key] = value
        elif key.startswith('decoder.layers.'):
            new = key
            for pattern, replacement in _DECODER_INVERSE:
                new = re.sub(pattern, replacement, new)
            official['transformer.' + new] = value
        elif match := re.fullmatch(r'bbox_head\.cls_branches\.(\d+)\.(weight|bias)', key):
            fill = class_bias_fill if match[2] == 'bias' else 0.
            official[f'class_embed.{match[1]}.{match[2]}'] = _rows_to_91(value, fill)
        elif match := re.fullmatch(r'bbox_head\.reg_branches\.(\d+)\.(\d+)\.(weight|bias)', key):
            name = f'bbox_embed.{match[1]}.layers.{int(match[2]) // 2}.{match[3]}'
            official[name] = value
            official['transformer.decoder.' + name] = value
        else:
            raise ValueError(f'{key!r} has no counterpart in the official ViDT layout')
    return official
