"""Shape handling shared by every projector."""
import torch
from torch import nn

from ..tokens import channel_dim, from_tokens, to_tokens

__all__ = ['TokenProjector']


class TokenProjector(nn.Module):
    """Base class of projectors: maps the channels of a student feature to the teacher width.

    Subclasses implement :meth:`project_tokens` on a matrix of tokens; this class accepts vectors
    (B, C), tokens (B, N, C) and maps (B, C, H, W), checks the channel count and restores the
    layout.

    Args:
        in_channels (int): student width d_s.
        out_channels (int): teacher width d_t.
    """

    def __init__(self, in_channels: int, out_channels: int) -> None:
        super().__init__()
        self.in_channels = in_channels
        self.out_channels = out_channels

    def project_tokens(self, tokens: torch.Tensor) -> torch.Tensor:
        """Args: tokens (Tensor): (M, d_s). Returns: Tensor: (M, d_t)."""
        raise NotImplementedError

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Project a student feature.

        Args:
            x (Tensor): (B, d_s), (B, N, d_s) or (B, d_s, H, W).

        Returns:
            Tensor: the same layout with d_t channels, in float32.
        """
        channels = x.shape[channel_dim(x)]
        if channels != self.in_channels:
            raise ValueError(
                f'{type(self).__name__} expects {self.in_channels} input channels but the student '
                f'feature of shape {tuple(x.shape)} has {channels}; set in_channels={channels} '
                f'(or the pair\'s student_channels) in the config')
        tokens, shape = to_tokens(x)
        # NOTE: projections run in float32 even under autocast; orthogonal maps need it.
        with torch.autocast(device_type=x.device.type, enabled=False):
            return from_tokens(self.project_tokens(tokens.float()), shape)

    def extra_repr(self) -> str:
        return f'in_channels={self.in_channels}, out_channels={self.out_channels}'
