"""Logs how close each projector is to an isometry of the student batch."""
from typing import Dict, List, Optional, Tuple

import torch
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from torch import nn

from vkd_mm.models.projectors import TokenProjector
from vkd_mm.models.tokens import to_tokens
from vkd_mm.registry import HOOKS

__all__ = ['ProjectorDiagnosticsHook', 'projection_matrix_stats', 'inner_product_distortion']


def projection_matrix_stats(weight: torch.Tensor) -> Dict[str, float]:
    """Orthonormality error and extreme singular values of a projection matrix.

    Args:
        weight (Tensor): P, shape (d_t, d_s).

    Returns:
        dict: ``orth_err`` = max |P^T P - I| (d_s <= d_t) or max |P P^T - I| (d_s > d_t),
        ``sv_min`` and ``sv_max``.
    """
    weight = weight.detach().double()
    gram = weight.t() @ weight if weight.shape[1] <= weight.shape[0] else weight @ weight.t()
    identity = torch.eye(gram.shape[0], dtype=gram.dtype, device=gram.device)
    singular_values = torch.linalg.svdvals(weight)
    return {'orth_err': (gram - identity).abs().max().item(),
            'sv_min': singular_values.min().item(),
            'sv_max': singular_values.max().item()}


def inner_product_distortion(inputs: torch.Tensor, outputs: torch.Tensor) -> float:
    """||Y Y^T - X X^T||_F / ||X X^T||_F: how far a projection moves a batch's inner products.

    Args:
        inputs (Tensor): student tokens X, (M, d_s).
        outputs (Tensor): projected tokens Y, (M, d_t).
    """
    inputs, outputs = inputs.detach().double(), outputs.detach().double()
    gram_in = inputs @ inputs.t()
    return ((outputs @ outputs.t() - gram_in).norm() / gram_in.norm().clamp_min(1e-12)).item()


@HOOKS.register_module()
class ProjectorDiagnosticsHook(Hook):
    """Every ``interval`` training iterations, logs for each projector of the model:
    ``orth_err``, ``sv_min``, ``sv_max`` (of its matrix, when it has one) and ``ip_distortion``
    (on that iteration's student batch, at most ``max_tokens`` tokens).

    Scalars go to the message hub as ``train/<module path>/<stat>``, so the logger and the
    visualisation backends show them beside the losses.

    Args:
        interval (int): log every this many iterations. Default: 50.
        max_tokens (int): tokens used for the inner-product distortion. Default: 256.
    """

    priority = 'LOW'

    def __init__(self, interval: int = 50, max_tokens: int = 256) -> None:
        self.interval = interval
        self.max_tokens = max_tokens
        self._captured: Dict[str, Tuple[torch.Tensor, torch.Tensor]] = {}
        self._handles: List[torch.utils.hooks.RemovableHandle] = []

    @staticmethod
    def projectors(model: nn.Module) -> Dict[str, TokenProjector]:
        """Top-level projectors of a model (members of an ensemble are not listed)."""
        if is_model_wrapper(model):
            model = model.module
        found: Dict[str, TokenProjector] = {}
        for name, module in model.named_modules():
            if isinstance(module, TokenProjector) and not any(
                    name.startswith(parent + '.') for parent in found):
                found[name] = module
        return found

    def before_train_iter(self, runner, batch_idx: int, data_batch: Optional[dict] = None) -> None:
        if not self.every_n_train_iters(runner, self.interval):
            return
        for name, projector in self.projectors(runner.model).items():
            self._handles.append(projector.register_forward_hook(self._capture(name)))

    def _capture(self, name: str):
        def hook(module, args, output) -> None:
            inputs, _ = to_tokens(args[0])
            outputs, _ = to_tokens(output)
            self._captured[name] = (inputs[:self.max_tokens], outputs[:self.max_tokens])

        return hook

    def after_train_iter(self, runner, batch_idx: int, data_batch: Optional[dict] = None,
                         outputs: Optional[dict] = None) -> None:
        if not self._handles:
            return
        for handle in self._handles:
            handle.remove()
        self._handles.clear()
        for name, projector in self.projectors(runner.model).items():
            weight = getattr(projector, 'weight', None)
            stats = projection_matrix_stats(weight) if isinstance(weight, torch.Tensor) else {}
            if name in self._captured:
                stats['ip_distortion'] = inner_product_distortion(*self._captured[name])
            for key, value in stats.items():
                runner.message_hub.update_scalar(f'train/{name}/{key}', value)
        self._captured.clear()
