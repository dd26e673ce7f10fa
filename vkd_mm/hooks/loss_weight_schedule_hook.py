"""Cosine decay of distillation loss weights (WKD's schedule)."""
import math
from typing import Dict, Optional, Sequence

from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from torch import nn

from vkd_mm.models.distillers import DistillPair
from vkd_mm.registry import HOOKS

__all__ = ['CosineLossWeightHook', 'cosine_weight']


def cosine_weight(base: float, progress: int, start: int, end: int) -> float:
    """``base`` until ``start``, then 0.5 * base * (1 + cos(pi * (progress - start) / (end -
    start))), reaching 0 at ``end``."""
    if progress <= start:
        return base
    return 0.5 * base * (1 + math.cos(math.pi * min(progress - start, end - start) / (end - start)))


@HOOKS.register_module()
class CosineLossWeightHook(Hook):
    """Decays the ``loss_weight`` of named distillation losses with a half cosine.

    The official WKD schedule: with 1-based epoch e, weight = w for e <= ``start``, then
    0.5 w (1 + cos(pi (e - start) / (E - start))), so the last epoch has weight 0. It changes the
    ``loss_weight`` attribute of the loss of each named :class:`DistillPair` of the model (the
    ``distill`` / ``logit_distill`` pairs of a distiller); for WKD-L that is the Sinkhorn term's
    gamma, not the target term.

    Args:
        pairs (Sequence[str]): names of the pairs whose losses decay.
        start (int): epoch (or iteration with ``by_epoch=False``) after which the decay starts.
            Default: 0.
        by_epoch (bool): update once per epoch (official) or every iteration. Default: True.
    """

    priority = 'NORMAL'

    def __init__(self, pairs: Sequence[str], start: int = 0, by_epoch: bool = True) -> None:
        self.pairs = list(pairs)
        self.start = start
        self.by_epoch = by_epoch
        self._base: Dict[str, float] = {}

    def _losses(self, runner) -> Dict[str, nn.Module]:
        """The loss modules of the named pairs of the model (its :class:`DistillPair` s)."""
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        found = {
            module.name: module.loss
            for module in model.modules() if isinstance(module, DistillPair)
        }
        missing = [name for name in self.pairs if name not in found]
        if missing:
            raise ValueError(f'CosineLossWeightHook: no distillation pair named {missing}; '
                             f'the model has {sorted(found)}')
        return {name: found[name] for name in self.pairs}

    def before_train(self, runner) -> None:
        self._base = {name: loss.loss_weight for name, loss in self._losses(runner).items()}

    def _apply(self, runner, progress: int, end: int) -> None:
        for name, loss in self._losses(runner).items():
            loss.loss_weight = cosine_weight(self._base[name], progress, self.start, end)
            runner.message_hub.update_scalar(f'train/loss_weight/{name}', loss.loss_weight)

    def before_train_epoch(self, runner) -> None:
        if self.by_epoch:
            self._apply(runner, runner.epoch + 1, runner.max_epochs)

    def before_train_iter(self, runner, batch_idx: int, data_batch: Optional[dict] = None) -> None:
        if not self.by_epoch:
            self._apply(runner, runner.iter + 1, runner.max_iters)
