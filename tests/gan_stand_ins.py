"""Small randomly initialised stand-ins for the weights a GAN run loads from local paths."""
import copy

import torch
import torch.nn.functional as F
from torch import nn

#: a 2-layer CLIP vision tower at 32 px with CLIP ViT-B/32's 512-d projection
TINY_CLIP = dict(
    type='CLIPImageEncoder',
    config=dict(
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=2,
        image_size=32,
        patch_size=8,
        projection_dim=512))


class TinyInception(nn.Module):
    """The call interface of Tero's TorchScript Inception that MMagic's FID / IS use:
    uint8 images -> features, or class probabilities with ``no_output_bias``."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(3, 16, 4, stride=4)
        self.fc = nn.Linear(16, 10)

    def forward(self,
                x: torch.Tensor,
                return_features: bool = False,
                no_output_bias: bool = False) -> torch.Tensor:
        features = F.relu(self.conv(x.float() / 127.5 - 1)).mean((2, 3))
        if return_features:
            return features
        return F.softmax(self.fc(features), dim=1)


def save_tiny_inception(path: str) -> str:
    torch.manual_seed(0)
    torch.jit.script(TinyInception().requires_grad_(False).eval()).save(path)
    return path


def with_tiny_teacher(model_cfg):
    """A GAN model config whose teacher encoder is :data:`TINY_CLIP`."""
    model_cfg = copy.deepcopy(model_cfg)
    if model_cfg.get('teacher') is not None:
        model_cfg.teacher.encoder = copy.deepcopy(TINY_CLIP)
    return model_cfg
