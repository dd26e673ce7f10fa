"""BigGAN discriminator that also returns a distillation embedding."""
from typing import Optional, Tuple, Union

import torch
from mmagic.models.editors.biggan import BigGANDiscriminator
from torch import nn

from vkd_mm.registry import MODELS

__all__ = ['VkDBigGANDiscriminator']


@MODELS.register_module()
class VkDBigGANDiscriminator(BigGANDiscriminator):
    """:class:`mmagic.models.BigGANDiscriminator` with a distillation head and a projector.

    The pooled feature of the last block (the input of ``decision``, 256-d at 32 px) goes
    through ``kd_head``, two spectrally normalised linear layers (256 -> 1024 -> 512, as
    KD-DLGAN's head), giving the student embedding. ``projector`` (orthogonal by default) maps
    it to the teacher's width. Both live in the discriminator so that MMagic's discriminator
    optimiser trains them; the projector is dropped when the generator is exported.

    Args:
        kd_channels (int): width of the student embedding. Default: 512.
        kd_hidden_channels (int): hidden width of ``kd_head``. Default: 1024.
        teacher_channels (int): width of the teacher feature. Default: 512 (CLIP ViT-B/32).
        projector (dict, optional): projector config; channels are filled in. None: no
            projector (KD-DLGAN's own distillation), which needs ``kd_channels`` equal to
            ``teacher_channels``. Default: OrthogonalProjector.
        **kwargs: :class:`BigGANDiscriminator` arguments.
    """

    def __init__(self,
                 kd_channels: int = 512,
                 kd_hidden_channels: int = 1024,
                 teacher_channels: int = 512,
                 projector: Optional[dict] = dict(type='OrthogonalProjector'),
                 **kwargs) -> None:
        super().__init__(**kwargs)
        feat_channels = self.arch['out_channels'][-1]
        with_spectral_norm = kwargs.get('with_spectral_norm', True)
        sn_eps = kwargs.get('sn_eps', 1e-6)

        def linear(in_channels, out_channels):
            layer = nn.Linear(in_channels, out_channels)
            return nn.utils.spectral_norm(layer, eps=sn_eps) if with_spectral_norm else layer

        self.kd_head = nn.Sequential(
            linear(feat_channels, kd_hidden_channels), linear(kd_hidden_channels, kd_channels))
        self.teacher_channels = teacher_channels
        if projector is None and kd_channels != teacher_channels:
            raise ValueError(f'without a projector the embedding must have the teacher width: '
                             f'kd_channels={kd_channels} but teacher_channels='
                             f'{teacher_channels}; set them equal or give a projector')
        self.projector = nn.Identity() if projector is None else MODELS.build(
            dict(projector, in_channels=kd_channels, out_channels=teacher_channels))

    def forward(self,
                x: torch.Tensor,
                label: Optional[torch.Tensor] = None,
                return_features: bool = False
                ) -> Union[torch.Tensor, Tuple[torch.Tensor, torch.Tensor]]:
        """
        Args:
            x (Tensor): images (B, 3, H, W).
            label (Tensor, optional): class labels (B, ).
            return_features (bool): also return the projected student embedding.

        Returns:
            Tensor | tuple: the realness logit (B, 1), and with ``return_features`` the
            embedding through ``kd_head`` and ``projector``, (B, teacher_channels). The
            projector runs here, inside D's forward, so that D's DDP wrapper sees it.
        """
        pooled = x
        for conv_block in self.conv_blocks:
            pooled = conv_block(pooled)
        # [B, C, H, W] -> [B, C]
        pooled = torch.sum(self.activate(pooled), dim=[2, 3])
        out = self.decision(pooled)
        if self.num_classes > 0:
            out = out + torch.sum(self.proj_y(label) * pooled, dim=1, keepdim=True)
        if return_features:
            return out, self.projector(self.kd_head(pooled))
        return out
