"""Frozen image encoders that give the teacher features of generative V_kD."""
from typing import Optional

import torch
import torch.nn.functional as F
from torch import nn

from vkd_mm.models.teacher import freeze_teacher
from vkd_mm.registry import MODELS
from vkd_mm.utils import load_checkpoint_checked

__all__ = ['CLIPImageEncoder', 'FrozenImageTeacher']

CLIP_MEAN = (0.48145466, 0.4578275, 0.40821073)
CLIP_STD = (0.26862954, 0.26130258, 0.27577711)


@MODELS.register_module()
class CLIPImageEncoder(nn.Module):
    """The image tower of a CLIP model (HuggingFace ``CLIPVisionModelWithProjection``):
    images -> the projected embedding (B, projection_dim), 512-d for ViT-B/32.

    Args:
        pretrained (str, optional): a local directory or file that ``from_pretrained`` reads
            (e.g. a saved ``openai/clip-vit-base-patch32``); nothing is downloaded.
        config (dict, optional): ``CLIPVisionConfig`` arguments for a randomly initialised
            encoder (small stand-ins in tests); used when ``pretrained`` is None.
    """

    def __init__(self, pretrained: Optional[str] = None, config: Optional[dict] = None) -> None:
        super().__init__()
        from transformers import CLIPVisionConfig, CLIPVisionModelWithProjection
        if pretrained is not None:
            self.model = CLIPVisionModelWithProjection.from_pretrained(
                pretrained, local_files_only=True)
        elif config is not None:
            self.model = CLIPVisionModelWithProjection(CLIPVisionConfig(**config))
        else:
            raise ValueError('CLIPImageEncoder needs `pretrained` (a local path) or `config`')
        self.image_size = self.model.config.image_size
        self.out_channels = self.model.config.projection_dim

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        """(B, 3, S, S) RGB at the encoder's size -> (B, projection_dim)."""
        return self.model(pixel_values=images).image_embeds


@MODELS.register_module()
class FrozenImageTeacher(nn.Module):
    """Wraps a frozen image encoder and prepares GAN images for it.

    GAN images arrive in [-1, 1] in the model's channel order. They are put in RGB, resized to
    the encoder's input size with nearest upsampling (x7 for 32 -> 224, as KD-DLGAN), and either
    fed as they are (``input_mode='raw'``: KD-DLGAN and the V_kD author feed [-1, 1] without
    CLIP's normalisation) or mapped to [0, 1] and normalised with ``mean`` / ``std``
    (``'normalized'``). The output is the float32 feature (B, C).

    Args:
        encoder (dict): the encoder: ``CLIPImageEncoder`` or any registered model; a model with
            ``extract_feat`` (mmpretrain) gives its last output, average-pooled if spatial.
        checkpoint (str, optional): weights for a registry model (MMEngine or plain state dict).
        input_size (int, optional): encoder input side. Default: the encoder's ``image_size``,
            else 224.
        input_mode (str): 'raw' or 'normalized'. Default: 'raw'.
        channel_order (str): channel order of the GAN images, 'BGR' (MMagic's BigGAN) or 'RGB'.
        mean, std (tuple): normalisation of ``'normalized'``. Default: CLIP's.
    """

    def __init__(self,
                 encoder: dict,
                 checkpoint: Optional[str] = None,
                 input_size: Optional[int] = None,
                 input_mode: str = 'raw',
                 channel_order: str = 'BGR',
                 mean=CLIP_MEAN,
                 std=CLIP_STD) -> None:
        super().__init__()
        if input_mode not in ('raw', 'normalized'):
            raise ValueError(f"input_mode must be 'raw' or 'normalized', got {input_mode!r}")
        if channel_order not in ('BGR', 'RGB'):
            raise ValueError(f"channel_order must be 'BGR' or 'RGB', got {channel_order!r}")
        self.encoder = MODELS.build(encoder)
        if checkpoint is not None:
            load_checkpoint_checked(self.encoder, checkpoint, role='teacher')
        self.input_size = input_size or getattr(self.encoder, 'image_size', 224)
        self.input_mode = input_mode
        self.channel_order = channel_order
        self.register_buffer('mean', torch.tensor(mean).view(1, 3, 1, 1), persistent=False)
        self.register_buffer('std', torch.tensor(std).view(1, 3, 1, 1), persistent=False)
        freeze_teacher(self)

    def train(self, mode: bool = True) -> 'FrozenImageTeacher':
        """The teacher stays in eval mode."""
        return super().train(False)

    @torch.no_grad()
    def forward(self, images: torch.Tensor) -> torch.Tensor:
        """(B, 3, H, W) in [-1, 1] -> (B, C) float32."""
        if self.channel_order == 'BGR':
            images = images.flip(1)
        if images.shape[-1] != self.input_size:
            images = F.interpolate(images, size=(self.input_size, self.input_size), mode='nearest')
        if self.input_mode == 'normalized':
            images = ((images + 1) / 2 - self.mean) / self.std
        if hasattr(self.encoder, 'extract_feat'):
            features = self.encoder.extract_feat(images)
            features = features[-1] if isinstance(features, (tuple, list)) else features
        else:
            features = self.encoder(images)
        if features.dim() == 4:
            features = features.mean((2, 3))
        return features.float()
