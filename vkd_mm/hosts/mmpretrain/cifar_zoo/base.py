"""The base of the CIFAR zoo backbones: run the stages, return the chosen stage outputs."""
from abc import abstractmethod
from typing import List, Optional, Sequence, Tuple, Union

import torch
from mmpretrain.models.backbones.base_backbone import BaseBackbone

__all__ = ['CifarBackbone', 'KAIMING_FAN_OUT']

#: The convolution init of the CRD code (He normal, fan-out, ReLU gain); batch norms keep
#: PyTorch's weight 1, bias 0.
KAIMING_FAN_OUT = dict(type='Kaiming', layer='Conv2d', mode='fan_out', nonlinearity='relu')


class CifarBackbone(BaseBackbone):
    """A backbone of the CIFAR zoo of the CRD code: a tuple of stage outputs, like MMPretrain's
    backbones, for ``GlobalAveragePooling`` and ``LinearClsHead``.

    Subclasses build their layers and implement :meth:`forward_stages`.

    Args:
        num_stages (int): how many stage outputs :meth:`forward_stages` returns.
        out_indices (Sequence[int]): the stages to return, negative counting from the last.
        init_cfg (dict | list[dict], optional): MMEngine init config.
    """

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

    @abstractmethod
    def forward_stages(self, x: torch.Tensor) -> List[torch.Tensor]:
        """Every stage output of a batch (B, 3, H, W), first to last; each (B, C_i, H_i, W_i)."""

    def forward(self, x: torch.Tensor) -> Tuple[torch.Tensor, ...]:
        """(B, 3, H, W) -> the outputs of ``out_indices``, each (B, C_i, H_i, W_i)."""
        stages = self.forward_stages(x)
        return tuple(stages[i] for i in self.out_indices)
