"""Swin Transformer with ViDT's Reconfigured Attention Module (RAM) and [DET] tokens.

Paper: "ViDT: An Efficient and Effective Fully Transformer-based Object Detector", Song et al.,
ICLR 2022, https://arxiv.org/abs/2110.03921. Official code: https://github.com/naver-ai/vidt
(``methods/swin_w_ram.py``).

Parameter and buffer names follow the official module tree (``patch_embed.proj``,
``layers.i.blocks.j.attn.qkv``, ``...attn.relative_position_bias_table``, ``...det_pos_linear``,
``layers.i.downsample.reduction``, ``det_token``, ``det_pos_embed``), so Swin ImageNet weights
and ViDT detectors load by name. Where this module differs from the official one:

- The official code creates parameters that it never uses: ``norm1/2/3`` after the stages and
  ``expansion`` / ``norm2`` in every patch merging. They are left out (DDP would otherwise need
  ``find_unused_parameters``); :mod:`vkd_mm.hosts.mmdet.vidt_checkpoint` drops them.
- Attention runs through ``F.scaled_dot_product_attention``, and ``qkv`` / ``proj`` are applied
  to patch and [DET] tokens separately rather than to their concatenation: the same products.
"""
import math
from typing import List, Optional, Sequence, Tuple

import torch
import torch.nn.functional as F
from mmdet.models.layers import SinePositionalEncoding
from mmengine.model import BaseModule
from mmengine.runner.checkpoint import CheckpointLoader
from timm.layers import DropPath, Mlp, trunc_normal_
from torch import nn

from vkd_mm.registry import MODELS
from vkd_mm.utils import extract_state_dict
from .swin_windows import MASKED_LOGIT, shifted_window_mask, window_partition, window_reverse

__all__ = ['ViDTSwin', 'ReconfiguredAttention', 'RAMBlock', 'DetPatchMerging', 'RAMStage']


class PatchEmbed(nn.Module):
    """Non-overlapping patch embedding: (B, 3, H, W) -> (B, C, ceil(H/p), ceil(W/p)), then LN."""

    def __init__(self, patch_size: int, embed_dims: int, in_channels: int = 3) -> None:
        super().__init__()
        self.patch_size = patch_size
        self.proj = nn.Conv2d(in_channels, embed_dims, kernel_size=patch_size, stride=patch_size)
        self.norm = nn.LayerNorm(embed_dims)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        height, width = x.shape[-2:]
        x = F.pad(x, (0, -width % self.patch_size, 0, -height % self.patch_size))
        x = self.proj(x)
        # [B, C, h, w] -> [B, h, w, C] -> LN -> [B, C, h, w]
        return self.norm(x.permute(0, 2, 3, 1)).permute(0, 3, 1, 2)


class ReconfiguredAttention(nn.Module):
    """RAM: one set of qkv / proj weights for three attentions.

    - [PATCH x PATCH]: (shifted-)window self-attention with relative position bias; patch
      tokens never attend to [DET] tokens.
    - [DET x DET]: global self-attention of the [DET] tokens, in every stage.
    - [DET x PATCH]: in cross-attention stages the [DET] queries also attend to every (unshifted,
      unpadded) patch token, whose keys and values carry a sine position encoding.

    Args:
        dims (int): channels C.
        num_heads (int): attention heads.
        window_size (int): window side.
        qkv_bias (bool): bias of the qkv projection. Default: True.
    """

    def __init__(self, dims: int, num_heads: int, window_size: int, qkv_bias: bool = True) -> None:
        super().__init__()
        self.num_heads = num_heads
        self.window_size = window_size
        self.relative_position_bias_table = nn.Parameter(
            torch.zeros((2 * window_size - 1)**2, num_heads))
        self.register_buffer('relative_position_index', self._relative_position_index(window_size))
        self.qkv = nn.Linear(dims, dims * 3, bias=qkv_bias)
        self.proj = nn.Linear(dims, dims)
        trunc_normal_(self.relative_position_bias_table, std=.02)

    @staticmethod
    def _relative_position_index(window_size: int) -> torch.Tensor:
        """(window_size**2, window_size**2) index into the bias table, as in Swin."""
        coords = torch.stack(
            torch.meshgrid(torch.arange(window_size), torch.arange(window_size),
                           indexing='ij')).flatten(1)
        relative = (coords[:, :, None] - coords[:, None, :]).permute(1, 2, 0) + window_size - 1
        return relative[..., 0] * (2 * window_size - 1) + relative[..., 1]

    def _heads(self, qkv: torch.Tensor) -> Tuple[torch.Tensor, ...]:
        """(..., N, 3C) -> q, k, v of shape (..., heads, N, C / heads)."""
        *lead, tokens, _ = qkv.shape
        qkv = qkv.view(*lead, tokens, 3, self.num_heads, -1)
        return qkv.movedim(-3, 0).transpose(-3, -2).unbind(0)

    def _merge_heads(self, x: torch.Tensor) -> torch.Tensor:
        """(..., heads, N, C / heads) -> (..., N, C)."""
        return x.transpose(-3, -2).flatten(-2)

    def forward(self,
                patch: torch.Tensor,
                det: torch.Tensor,
                shift_mask: Optional[torch.Tensor] = None,
                cross_patch: Optional[torch.Tensor] = None,
                cross_bias: Optional[torch.Tensor] = None) -> Tuple[torch.Tensor, torch.Tensor]:
        """
        Args:
            patch (Tensor): normed, padded and shifted patch tokens, (B, Hp, Wp, C).
            det (Tensor): normed [DET] tokens plus their position embedding, (B, D, C).
            shift_mask (Tensor, optional): (nW, w*w, w*w) for shifted windows.
            cross_patch (Tensor, optional): unshifted patch tokens plus sine encoding,
                (B, H*W, C); enables [DET x PATCH].
            cross_bias (Tensor, optional): (B, 1, 1, H*W + D) logit bias of that attention.

        Returns:
            tuple: patch tokens (B, Hp, Wp, C) and [DET] tokens (B, D, C).
        """
        batch, height, width, channels = patch.shape
        window = self.window_size
        # [B, Hp, Wp, 3C] -> [B, nW, w*w, 3C] -> q, k, v: [B, nW, heads, w*w, C/heads]
        q, k, v = self._heads(window_partition(self.qkv(patch), window))
        bias = self.relative_position_bias_table[self.relative_position_index.view(-1)]
        bias = bias.view(window * window, window * window, -1).permute(2, 0, 1)
        if shift_mask is not None:
            # [heads, w*w, w*w] + [nW, 1, w*w, w*w] -> [nW, heads, w*w, w*w]
            bias = bias + shift_mask.unsqueeze(1)
        patch_out = F.scaled_dot_product_attention(q, k, v, attn_mask=bias.to(q.dtype))
        patch_out = window_reverse(self._merge_heads(patch_out), window, height, width)

        det_q, det_k, det_v = self._heads(self.qkv(det))
        if cross_patch is not None:
            _, cross_k, cross_v = self._heads(self.qkv(cross_patch))
            det_k = torch.cat([cross_k, det_k], dim=-2)
            det_v = torch.cat([cross_v, det_v], dim=-2)
        if cross_bias is not None:
            cross_bias = cross_bias.to(det_q.dtype)
        det_out = self._merge_heads(
            F.scaled_dot_product_attention(det_q, det_k, det_v, attn_mask=cross_bias))
        return self.proj(patch_out), self.proj(det_out)


class RAMBlock(nn.Module):
    """A pre-norm Swin block over [PATCH; DET] tokens with RAM; the MLP is shared by both kinds.

    Args:
        dims (int): channels C.
        num_heads (int): attention heads.
        window_size (int): window side.
        shift_size (int): cyclic shift (0 or window_size // 2).
        pos_dims (int): channels of the [DET] position embedding. Default: 256.
        mlp_ratio (float): MLP hidden width over C. Default: 4.
        drop_path (float): stochastic depth rate. Default: 0.
    """

    def __init__(self,
                 dims: int,
                 num_heads: int,
                 window_size: int,
                 shift_size: int,
                 pos_dims: int = 256,
                 mlp_ratio: float = 4.,
                 drop_path: float = 0.) -> None:
        super().__init__()
        self.window_size = window_size
        self.shift_size = shift_size
        self.norm1 = nn.LayerNorm(dims)
        self.attn = ReconfiguredAttention(dims, num_heads, window_size)
        self.drop_path = DropPath(drop_path) if drop_path > 0. else nn.Identity()
        self.norm2 = nn.LayerNorm(dims)
        self.mlp = Mlp(dims, int(dims * mlp_ratio), act_layer=nn.GELU)
        self.det_pos_linear = nn.Linear(pos_dims, dims)

    def forward(self,
                x: torch.Tensor,
                hw_shape: Tuple[int, int],
                det_pos: torch.Tensor,
                shift_mask: Optional[torch.Tensor] = None,
                patch_pos: Optional[torch.Tensor] = None,
                cross_bias: Optional[torch.Tensor] = None) -> torch.Tensor:
        """
        Args:
            x (Tensor): [PATCH; DET] tokens, (B, H*W + D, C).
            hw_shape (tuple): (H, W) of the patch grid.
            det_pos (Tensor): [DET] position embedding, (1, D, pos_dims).
            shift_mask (Tensor, optional): see :class:`ReconfiguredAttention`.
            patch_pos (Tensor, optional): sine encoding (B, H, W, C); given in cross-attention
                stages only.
            cross_bias (Tensor, optional): (B, 1, 1, H*W + D).

        Returns:
            Tensor: (B, H*W + D, C).
        """
        height, width = hw_shape
        batch, _, channels = x.shape
        shortcut = x
        x = self.norm1(x)
        patch = x[:, :height * width].view(batch, height, width, channels)
        det = x[:, height * width:] + self.det_pos_linear(det_pos)

        window = self.window_size
        padded = F.pad(patch, (0, 0, 0, -width % window, 0, -height % window))
        if self.shift_size:
            padded = torch.roll(padded, (-self.shift_size, -self.shift_size), dims=(1, 2))
        cross_patch = None
        if patch_pos is not None:
            cross_patch = (patch + patch_pos).view(batch, height * width, channels)
        padded, det = self.attn(padded, det, shift_mask if self.shift_size else None, cross_patch,
                                cross_bias)
        if self.shift_size:
            padded = torch.roll(padded, (self.shift_size, self.shift_size), dims=(1, 2))
        patch = padded[:, :height, :width].reshape(batch, height * width, channels)

        x = shortcut + self.drop_path(torch.cat([patch, det], dim=1))
        return x + self.drop_path(self.mlp(self.norm2(x)))


class DetPatchMerging(nn.Module):
    """Swin patch merging that carries [DET] tokens along.

    Patch tokens: 2x2 neighbours concatenated (order x00, x10, x01, x11, as Swin), LN, linear.
    [DET] tokens: repeated four times along channels, then the same LN and linear.

    Args:
        dims (int): input channels C.
        out_dims (int): output channels (2C between stages; 256 after the last one in ViDT).
    """

    def __init__(self, dims: int, out_dims: int) -> None:
        super().__init__()
        self.reduction = nn.Linear(4 * dims, out_dims, bias=False)
        self.norm = nn.LayerNorm(4 * dims)

    def forward(self, x: torch.Tensor, hw_shape: Tuple[int, int]) -> torch.Tensor:
        """(B, H*W + D, C) -> (B, ceil(H/2)*ceil(W/2) + D, out_dims)."""
        height, width = hw_shape
        batch, _, channels = x.shape
        patch = x[:, :height * width].view(batch, height, width, channels)
        patch = F.pad(patch, (0, 0, 0, width % 2, 0, height % 2))
        patch = torch.cat([
            patch[:, 0::2, 0::2], patch[:, 1::2, 0::2], patch[:, 0::2, 1::2], patch[:, 1::2, 1::2]
        ],
                          dim=-1).flatten(1, 2)
        det = x[:, height * width:].repeat(1, 1, 4)
        return self.reduction(self.norm(torch.cat([patch, det], dim=1)))


class RAMStage(nn.Module):
    """One Swin stage of RAM blocks followed by a [DET]-aware patch merging.

    Args:
        dims (int): channels C.
        depth (int): number of blocks; odd blocks use shifted windows.
        num_heads (int): attention heads.
        out_dims (int): channels after the merging.
        window_size (int): window side. Default: 7.
        drop_path (Sequence[float]): per-block stochastic depth rates.
        pos_dims (int): channels of the [DET] position embedding. Default: 256.
    """

    def __init__(self,
                 dims: int,
                 depth: int,
                 num_heads: int,
                 out_dims: int,
                 window_size: int = 7,
                 drop_path: Sequence[float] = (),
                 pos_dims: int = 256) -> None:
        super().__init__()
        self.dims = dims
        self.window_size = window_size
        drop_path = list(drop_path) or [0.] * depth
        self.blocks = nn.ModuleList([
            RAMBlock(
                dims,
                num_heads,
                window_size,
                0 if i % 2 == 0 else window_size // 2,
                pos_dims=pos_dims,
                drop_path=drop_path[i]) for i in range(depth)
        ])
        self.downsample = DetPatchMerging(dims, out_dims)
        self.patch_pos_encoding = SinePositionalEncoding(
            num_feats=dims // 2, normalize=True, eps=1e-6)

    def forward(self,
                x: torch.Tensor,
                hw_shape: Tuple[int, int],
                det_pos: torch.Tensor,
                input_mask: Optional[torch.Tensor] = None,
                cross_attn: bool = False) -> Tuple[torch.Tensor, torch.Tensor]:
        """
        Args:
            x (Tensor): (B, H*W + D, C).
            hw_shape (tuple): (H, W).
            det_pos (Tensor): (1, D, pos_dims).
            input_mask (Tensor, optional): padding mask, (B, h, w), True on padding; needed
                for cross-attention.
            cross_attn (bool): enable [DET x PATCH] in every block of this stage.

        Returns:
            tuple: the stage output (B, H*W + D, C) and the merged tokens
            (B, ceil(H/2)*ceil(W/2) + D, out_dims).
        """
        height, width = hw_shape
        window = self.window_size
        padded_hw = (math.ceil(height / window) * window, math.ceil(width / window) * window)
        shift_mask = shifted_window_mask(*padded_hw, window, window // 2, x.device)
        patch_pos = cross_bias = None
        if cross_attn:
            patch_pos, cross_bias = self._cross_attention_inputs(x, hw_shape, input_mask)
        for block in self.blocks:
            x = block(x, hw_shape, det_pos, shift_mask, patch_pos, cross_bias)
        return x, self.downsample(x, hw_shape)

    def _cross_attention_inputs(self, x: torch.Tensor, hw_shape: Tuple[int, int],
                                input_mask: Optional[torch.Tensor]):
        """Sine encoding of the patch grid, (B, H, W, C), and the [DET x PATCH] logit bias
        (B, 1, 1, H*W + D): ``MASKED_LOGIT`` on padded patches, 0 on [DET] tokens."""
        height, width = hw_shape
        batch = x.shape[0]
        num_det = x.shape[1] - height * width
        if input_mask is None:
            mask = x.new_zeros((batch, height, width), dtype=torch.bool)
        else:
            mask = F.interpolate(input_mask[None].float(), size=hw_shape).bool()[0]
        patch_pos = self.patch_pos_encoding(mask).permute(0, 2, 3, 1).to(x.dtype)
        bias = mask.view(batch, 1, 1, height * width).float() * MASKED_LOGIT
        return patch_pos, F.pad(bias, (0, num_det), value=0.)


@MODELS.register_module()
class ViDTSwin(BaseModule):
    """Swin Transformer with RAM and [DET] tokens: the ViDT body.

    Outputs the patch tokens of stages 2-4 before their merging (strides 8/16/32, channels
    2C/4C/8C) and the merged stage-4 tokens (stride 64, ``out_dims`` channels); the [DET]
    tokens of stage 4 before its merging, (B, 8C, D); and the learnable [DET] position
    embedding, (1, pos_dims, D), from which the neck makes its reference points.

    Args:
        arch (str | dict): 'nano', 'tiny', 'small', 'base', or a dict with ``embed_dims``,
            ``depths``, ``num_heads`` and ``drop_path_rate``.
        num_det_tokens (int): number of [DET] tokens (queries). Default: 100.
        pos_dims (int): channels of the [DET] position embedding. Default: 256.
        out_dims (int): channels of the last merging (the stride-64 level). Default: 256.
        window_size (int): window side. Default: 7.
        patch_size (int): patch side. Default: 4.
        cross_attn_stages (Sequence[int]): stages with [DET x PATCH] attention. Default: (3, ).
        drop_path_rate (float, optional): overrides the arch's stochastic depth rate.
        init_cfg (dict, optional): ``dict(type='Pretrained', checkpoint=...)`` loads a Swin or
            ViDT checkpoint by name (keys of other modules are skipped and listed).
    """
    arch_settings = {
        'nano':
        dict(embed_dims=48, depths=(2, 2, 6, 2), num_heads=(3, 6, 12, 24), drop_path_rate=0.0),
        'tiny':
        dict(embed_dims=96, depths=(2, 2, 6, 2), num_heads=(3, 6, 12, 24), drop_path_rate=0.2),
        'small':
        dict(embed_dims=96, depths=(2, 2, 18, 2), num_heads=(3, 6, 12, 24), drop_path_rate=0.3),
        'base':
        dict(embed_dims=128, depths=(2, 2, 18, 2), num_heads=(4, 8, 16, 32), drop_path_rate=0.3),
    }

    def __init__(self,
                 arch='nano',
                 num_det_tokens: int = 100,
                 pos_dims: int = 256,
                 out_dims: int = 256,
                 window_size: int = 7,
                 patch_size: int = 4,
                 cross_attn_stages: Sequence[int] = (3, ),
                 drop_path_rate: Optional[float] = None,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if isinstance(arch, str):
            if arch not in self.arch_settings:
                raise ValueError(f'unknown ViDTSwin arch {arch!r}; choose one of '
                                 f'{sorted(self.arch_settings)} or give a dict')
            arch = self.arch_settings[arch]
        embed_dims, depths, num_heads = arch['embed_dims'], arch['depths'], arch['num_heads']
        if drop_path_rate is None:
            drop_path_rate = arch.get('drop_path_rate', 0.)
        self.num_det_tokens = num_det_tokens
        self.cross_attn_stages = tuple(cross_attn_stages)
        # NOTE the official code downsamples the padding mask by 2**(stages - cross stages)
        # relative to the patch grid before resizing it to the stage's grid.
        self.mask_divisor = 2**(len(depths) - len(self.cross_attn_stages))

        self.patch_embed = PatchEmbed(patch_size, embed_dims)
        rates = torch.linspace(0, drop_path_rate, sum(depths)).tolist()
        dims = [embed_dims * 2**i for i in range(len(depths))]
        self.layers = nn.ModuleList()
        for i, depth in enumerate(depths):
            stage_out = dims[i + 1] if i + 1 < len(depths) else out_dims
            self.layers.append(
                RAMStage(dims[i], depth, num_heads[i], stage_out, window_size,
                         rates[sum(depths[:i]):sum(depths[:i + 1])], pos_dims))
        self.det_token = nn.Parameter(torch.zeros(1, num_det_tokens, embed_dims))
        self.det_pos_embed = nn.Parameter(torch.zeros(1, num_det_tokens, pos_dims))
        trunc_normal_(self.det_token, std=.02)
        trunc_normal_(self.det_pos_embed, std=.02)
        self.num_channels = dims[1:] + [out_dims]
        self.det_channels = dims[-1]

    def init_weights(self) -> None:
        """Random init (timm's trunc-normal linears, unit LNs), or load a pretrained checkpoint."""
        if self.init_cfg is not None and self.init_cfg.get('type') == 'Pretrained':
            self.load_pretrained(self.init_cfg['checkpoint'])
            return
        for module in self.modules():
            if isinstance(module, nn.Linear):
                trunc_normal_(module.weight, std=.02)
                if module.bias is not None:
                    nn.init.zeros_(module.bias)
            elif isinstance(module, nn.LayerNorm):
                nn.init.ones_(module.weight)
                nn.init.zeros_(module.bias)

    def load_pretrained(self, filename: str) -> List[str]:
        """Load a Swin (ImageNet) or ViDT backbone checkpoint by parameter name.

        Keys of this module with a matching shape are loaded; the official code's unused keys
        and those of other modules (a classifier head, the detector around a ViDT backbone)
        are skipped, as the official code's ``strict=False`` does.

        Returns:
            list[str]: this module's keys that the checkpoint did not provide.
        """
        state = extract_state_dict(CheckpointLoader.load_checkpoint(filename, map_location='cpu'))
        if any(key.startswith('backbone.') for key in state):
            state = {k[len('backbone.'):]: v for k, v in state.items() if k.startswith('backbone.')}
        own = self.state_dict()
        loaded = {k: v for k, v in state.items() if k in own and own[k].shape == v.shape}
        self.load_state_dict(loaded, strict=False)
        return sorted(set(own) - set(loaded))

    def forward(self, x: torch.Tensor, mask: Optional[torch.Tensor] = None):
        """
        Args:
            x (Tensor): images, (B, 3, H, W).
            mask (Tensor, optional): padding mask (B, H, W), True on padded pixels.

        Returns:
            tuple: patch features [(B, C_l, H_l, W_l)] * 4, [DET] tokens (B, 8C, D) and the
            [DET] position embedding (1, pos_dims, D).
        """
        batch = x.shape[0]
        x = self.patch_embed(x)
        height, width = x.shape[-2:]
        if mask is not None:
            mask = F.interpolate(
                mask[None].float(),
                size=(height // self.mask_divisor, width // self.mask_divisor)).bool()[0]
        # [B, C, H, W] -> [B, H*W, C]
        patch = x.flatten(2).transpose(1, 2)
        det = self.det_token.expand(batch, -1, -1)
        det_pos = self.det_pos_embed
        outs = []
        for index, stage in enumerate(self.layers):
            stage_out, merged = stage(
                torch.cat([patch, det], dim=1), (height, width),
                det_pos,
                mask,
                cross_attn=index in self.cross_attn_stages)
            if index > 0:
                # [B, H*W, C] -> [B, C, H, W]
                outs.append(stage_out[:, :height * width].transpose(1, 2).reshape(
                    batch, -1, height, width))
            height, width = (height + 1) // 2, (width + 1) // 2
            patch, det = merged[:, :-self.num_det_tokens], merged[:, -self.num_det_tokens:]
        outs.append(patch.transpose(1, 2).reshape(batch, -1, height, width))
        det_tgt = stage_out[:, -self.num_det_tokens:].transpose(1, 2)
        return outs, det_tgt, det_pos.transpose(1, 2)
