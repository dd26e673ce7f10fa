"""Logs how close each projector is to an isometry of the student batch, and can draw it."""
import os.path as osp
from typing import Dict, List, Optional, Tuple

import torch
from mmengine.dist import is_main_process
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from torch import nn

from vkd_mm.models.projectors import TokenProjector
from vkd_mm.models.tokens import to_tokens
from vkd_mm.registry import HOOKS

__all__ = [
    'ProjectorDiagnosticsHook', 'projection_matrix_stats', 'inner_product_distortion',
    'plot_diagnostics'
]


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
    return {
        'orth_err': (gram - identity).abs().max().item(),
        'sv_min': singular_values.min().item(),
        'sv_max': singular_values.max().item()
    }


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
    visualisation backends show them beside the losses. With ``plot=True`` the main process
    also draws the history of this run at the end of training, one line per projector:
    orthonormality error, the singular-value range and the inner-product distortion against the
    iteration (:func:`plot_diagnostics`), saved as ``<log dir>/<plot_name>``.

    Args:
        interval (int): log every this many iterations. Default: 50.
        max_tokens (int): tokens used for the inner-product distortion. Default: 256.
        plot (bool): write the PNG at the end of training. Default: False.
        plot_name (str): its file name in the run's log dir.
            Default: 'projector_diagnostics.png'.
    """

    priority = 'LOW'

    def __init__(self,
                 interval: int = 50,
                 max_tokens: int = 256,
                 plot: bool = False,
                 plot_name: str = 'projector_diagnostics.png') -> None:
        self.interval = interval
        self.max_tokens = max_tokens
        self.plot = plot
        self.plot_name = plot_name
        self._captured: Dict[str, Tuple[torch.Tensor, torch.Tensor]] = {}
        self._handles: List[torch.utils.hooks.RemovableHandle] = []
        # projector path -> stat -> [(iteration, value)], the logged values of this run
        self.history: Dict[str, Dict[str, List[Tuple[int, float]]]] = {}

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

    def after_train_iter(self,
                         runner,
                         batch_idx: int,
                         data_batch: Optional[dict] = None,
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
                self.history.setdefault(name, {}).setdefault(key, []).append(
                    (runner.iter + 1, value))
        self._captured.clear()

    def after_train(self, runner) -> None:
        if self.plot and self.history and is_main_process():
            path = osp.join(runner.log_dir, self.plot_name)
            plot_diagnostics(self.history, path)
            runner.logger.info(f'projector diagnostics drawn in {path}')


def plot_diagnostics(history: Dict[str, Dict[str, List[Tuple[int, float]]]], path: str) -> None:
    """Draw a diagnostics history as a PNG of three panels against the iteration.

    Args:
        history (dict): projector path -> stat (``orth_err``, ``sv_min``, ``sv_max``,
            ``ip_distortion``) -> [(iteration, value)], as :attr:`ProjectorDiagnosticsHook.history`.
        path (str): the PNG file to write.
    """
    import matplotlib
    matplotlib.use('Agg')  # NOTE no display: only files are written
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(1, 3, figsize=(15, 4), constrained_layout=True)
    for index, (name, stats) in enumerate(sorted(history.items())):
        color = f'C{index % 10}'
        if 'orth_err' in stats:
            steps, values = zip(*stats['orth_err'])
            # NOTE an exact isometry logs 0, which a log axis cannot show
            axes[0].plot(steps, [max(v, 1e-16) for v in values], color=color, label=name)
        if 'sv_min' in stats and 'sv_max' in stats:
            steps, low = zip(*stats['sv_min'])
            _, high = zip(*stats['sv_max'])
            axes[1].fill_between(steps, low, high, color=color, alpha=0.25)
            axes[1].plot(steps, low, color=color, label=f'{name} min')
            axes[1].plot(steps, high, color=color, linestyle='--', label=f'{name} max')
        if 'ip_distortion' in stats:
            steps, values = zip(*stats['ip_distortion'])
            axes[2].plot(steps, [max(v, 1e-16) for v in values], color=color, label=name)
    titles = ('orthonormality error max|PᵀP - I|', 'singular values of P (min - max)',
              'inner-product distortion of the batch')
    for axis, title, log in zip(axes, titles, (True, False, True)):
        axis.set_title(title)
        axis.set_xlabel('iteration')
        if log:
            axis.set_yscale('log')
        if axis.lines:
            axis.legend(fontsize='small')
    figure.savefig(path, dpi=100)
    plt.close(figure)
