"""Swin's shifted windows: partitioning tokens into windows, back, and the shift's mask."""
import torch

__all__ = ['MASKED_LOGIT', 'window_partition', 'window_reverse', 'shifted_window_mask']

# NOTE the official code adds -100 (not -inf) to masked attention logits; kept for parity.
MASKED_LOGIT = -100.0


def window_partition(x: torch.Tensor, window_size: int) -> torch.Tensor:
    """(B, H, W, C) -> (B, nW, window_size**2, C), windows in row-major order."""
    batch, height, width, channels = x.shape
    x = x.view(batch, height // window_size, window_size, width // window_size, window_size,
               channels)
    return x.permute(0, 1, 3, 2, 4, 5).reshape(batch, -1, window_size * window_size, channels)


def window_reverse(windows: torch.Tensor, window_size: int, height: int,
                   width: int) -> torch.Tensor:
    """(B, nW, window_size**2, C) -> (B, H, W, C); inverse of :func:`window_partition`."""
    batch, channels = windows.shape[0], windows.shape[-1]
    x = windows.view(batch, height // window_size, width // window_size, window_size, window_size,
                     channels)
    return x.permute(0, 1, 3, 2, 4, 5).reshape(batch, height, width, channels)


def shifted_window_mask(height: int, width: int, window_size: int, shift_size: int,
                        device: torch.device) -> torch.Tensor:
    """Swin's cyclic-shift mask over padded (height, width): (nW, window_size**2, window_size**2),
    0 between tokens of the same region and ``MASKED_LOGIT`` across regions."""
    regions = torch.zeros((1, height, width, 1), device=device)
    bounds = (slice(0, -window_size), slice(-window_size, -shift_size), slice(-shift_size, None))
    for index, (rows, cols) in enumerate((r, c) for r in bounds for c in bounds):
        regions[:, rows, cols, :] = index
    regions = window_partition(regions, window_size)[0, :, :, 0]
    differs = regions.unsqueeze(1) != regions.unsqueeze(2)
    return differs.float() * MASKED_LOGIT
