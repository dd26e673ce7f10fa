"""The base of the CIFAR zoo backbones: run the stages, return the chosen stage outputs; and the
layer helpers the backbones share."""
from abc import abstractmethod
from typing import Any, Callable, Dict, Iterable, List, Optional, Sequence, Tuple, Union

import torch
from mmpretrain.models.backbones.base_backbone import BaseBackbone
from torch import nn

__all__ = ['CifarBackbone', 'KAIMING_FAN_OUT', 'conv_bn', 'stack_blocks', 'run_stages']

#: The convolution init of the CRD code (He normal, fan-out, ReLU gain); batch norms keep
#: PyTorch's weight 1, bias 0.
KAIMING_FAN_OUT = dict(type='Kaiming', layer='Conv2d', mode='fan_out', nonlinearity='relu')


def conv_bn(in_channels: int,
            out_channels: int,
            kernel_size: int,
            stride: int = 1,
            groups: int = 1) -> Tuple[nn.Conv2d, nn.BatchNorm2d]:
    """A bias-free k x k conv with 'same' padding (k // 2) and the batch norm of its output:
    (B, C_in, H, W) -> (B, C_out, H / stride, W / stride). Returned as a pair, so that a block
    keeps the CRD code's ``convK`` / ``bnK`` attribute names."""
    conv = nn.Conv2d(
        in_channels, out_channels, kernel_size, stride, kernel_size // 2, groups=groups, bias=False)
    return conv, nn.BatchNorm2d(out_channels)


def stack_blocks(block: Callable[..., nn.Module], in_channels: int, out_channels: int,
                 num_blocks: int, stride: int) -> nn.Sequential:
    """A stage of ``num_blocks`` blocks: the first is ``block(in_channels, out_channels,
    stride)``, the others ``block(out_channels, out_channels)``; (B, C_in, H, W) ->
    (B, C_out, H / stride, W / stride)."""
    return nn.Sequential(
        block(in_channels, out_channels, stride),
        *(block(out_channels, out_channels) for _ in range(num_blocks - 1)))


def run_stages(x: torch.Tensor, stages: Iterable[nn.Module]) -> List[torch.Tensor]:
    """Apply the stages one after the other to x; the output of each, first to last."""
    outputs = []
    for stage in stages:
        x = stage(x)
        outputs.append(x)
    return outputs


class CifarBackbone(BaseBackbone):
    """A backbone of the CIFAR zoo of the CRD code: a tuple of stage outputs, like MMPretrain's
    backbones, for ``GlobalAveragePooling`` and ``LinearClsHead``.

    Subclasses build their layers and implement :meth:`forward_stages`; those with named
    architectures list them in :attr:`arch_settings` and read them with :meth:`named_arch`.

    Args:
        num_stages (int): how many stage outputs :meth:`forward_stages` returns.
        out_indices (Sequence[int]): the stages to return, negative counting from the last.
        init_cfg (dict | list[dict], optional): MMEngine init config.
    """
    #: architecture name -> its settings (the subclass defines what a setting holds)
    arch_settings: Dict[str, Any] = {}

    def __init__(self,
                 num_stages: int,
                 out_indices: Sequence[int],
                 init_cfg: Optional[Union[dict, List[dict]]] = None) -> None:
        super().__init__(init_cfg)
        name = type(self).__name__
        if isinstance(out_indices, int) or not out_indices:
            raise ValueError(f'{name}: out_indices must be a non-empty sequence of stage '
                             f'indices, e.g. ({num_stages - 1}, ); got {out_indices!r}')
        bad = [i for i in out_indices if not -num_stages <= i < num_stages]
        if bad:
            raise ValueError(f'{name} has {num_stages} stages (indices 0..{num_stages - 1} or '
                             f'{-num_stages}..-1); out_indices {bad} are out of range')
        self.out_indices = tuple(i % num_stages for i in out_indices)

    def named_arch(self, arch: str, alternative: str = '') -> Any:
        """The settings of the architecture called ``arch``.

        Args:
            arch (str): a key of :attr:`arch_settings`.
            alternative (str): the end of the error message, e.g. ' or pass dict(...)', naming
                the other ways to give an architecture. Default: ''.

        Raises:
            ValueError: ``arch`` is no key of :attr:`arch_settings`; the message lists them.
        """
        if arch not in self.arch_settings:
            raise ValueError(f'{type(self).__name__} has no arch {arch!r}; choose one of '
                             f'{sorted(self.arch_settings)}{alternative}')
        return self.arch_settings[arch]

    @abstractmethod
    def forward_stages(self, x: torch.Tensor) -> List[torch.Tensor]:
        """Every stage output of a batch (B, 3, H, W), first to last; each (B, C_i, H_i, W_i)."""

    def forward(self, x: torch.Tensor) -> Tuple[torch.Tensor, ...]:
        """(B, 3, H, W) -> the outputs of ``out_indices``, each (B, C_i, H_i, W_i)."""
        stages = self.forward_stages(x)
        return tuple(stages[i] for i in self.out_indices)
