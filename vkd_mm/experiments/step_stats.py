"""Training in this process with per-run figures: the test top-1 after every validation, the
median step time and the memory one step holds (counted, not sampled)."""
import statistics
import time
from typing import Dict, List, Optional

import torch
from mmengine.config import Config
from mmengine.hooks import Hook

from .training import train_in_process

__all__ = ['StepStatsHook', 'train_measured']


class StepStatsHook(Hook):
    """Records test top-1 after every validation, step times and one step's memory.

    The step time runs from ``before_train_iter`` to ``after_train_iter`` (forward, backward and
    optimiser step; not data loading), skipping the first ``warmup`` iterations and the one whose
    memory is counted. The memory is what autograd saves for the backward pass of iteration
    ``warmup - 1`` (``torch.autograd.graph.saved_tensors_hooks``), parameters excepted.
    """

    priority = 'LOWEST'

    def __init__(self, warmup: int = 1) -> None:
        self.warmup = warmup
        self.accuracy: List[float] = []
        self.step_times: List[float] = []
        self.saved_bytes: Optional[int] = None
        self.cuda_peak: Optional[int] = None
        self._start = 0.0
        self._saved: Dict[int, int] = {}
        self._context = None
        self._param_ptrs = set()

    def before_train(self, runner) -> None:
        self._param_ptrs = {p.untyped_storage().data_ptr() for p in runner.model.parameters()}

    def before_train_iter(self, runner, batch_idx: int, data_batch=None) -> None:
        if runner.iter == self.warmup - 1:  # the iteration whose memory is counted
            self._saved = {}

            def pack(tensor):
                storage = tensor.untyped_storage()
                if storage.data_ptr() not in self._param_ptrs:
                    self._saved[storage.data_ptr()] = storage.nbytes()
                return tensor

            self._context = torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t)
            self._context.__enter__()
            if torch.cuda.is_available():
                torch.cuda.reset_peak_memory_stats()
        if torch.cuda.is_available():
            torch.cuda.synchronize()
        self._start = time.perf_counter()

    def after_train_iter(self, runner, batch_idx: int, data_batch=None, outputs=None) -> None:
        if torch.cuda.is_available():
            torch.cuda.synchronize()
        elapsed = time.perf_counter() - self._start
        if self._context is not None:
            self._context.__exit__(None, None, None)
            self._context = None
            self.saved_bytes = sum(self._saved.values())
            if torch.cuda.is_available():
                self.cuda_peak = torch.cuda.max_memory_allocated()
        elif runner.iter >= self.warmup:
            self.step_times.append(elapsed)

    def after_val_epoch(self, runner, metrics=None) -> None:
        if metrics and 'accuracy/top1' in metrics:
            self.accuracy.append(float(metrics['accuracy/top1']))
            print(f'    epoch {runner.epoch}: top-1 {self.accuracy[-1]:.2f}', flush=True)


def train_measured(cfg: Config) -> dict:
    """Train ``cfg`` in this process; return its record: ``top1`` (last validation), ``curve``
    (every validation), ``step_ms`` (median), ``memory_mb`` (weights, gradients and AdamW's two
    moments of what trains, frozen weights, tensors saved for backward), ``saved_mb``,
    ``cuda_peak_mb``, ``projector_params`` and ``wall_s``."""
    hook = StepStatsHook()
    start = time.perf_counter()
    runner = train_in_process(cfg, [hook])
    wall = time.perf_counter() - start
    params = list(runner.model.parameters())
    trained = sum(p.numel() * p.element_size() for p in params if p.requires_grad)
    frozen = sum(p.numel() * p.element_size() for p in params if not p.requires_grad)
    pairs = getattr(runner.model, 'pairs', {})
    return dict(
        top1=hook.accuracy[-1],
        curve=hook.accuracy,
        step_ms=1000 * statistics.median(hook.step_times) if hook.step_times else None,
        memory_mb=(4 * trained + frozen + (hook.saved_bytes or 0)) / 2**20,
        saved_mb=(hook.saved_bytes or 0) / 2**20,
        cuda_peak_mb=hook.cuda_peak / 2**20 if hook.cuda_peak else None,
        projector_params=sum(p.numel() for pair in pairs.values()
                             for p in pair.projector.parameters()),
        wall_s=wall)
