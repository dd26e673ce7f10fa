"""Evaluates a distiller's frozen teacher with the run's own validation loop data and metrics.

A teacher loaded from the wrong file, with a mismatched head or the wrong preprocessing, still
trains a student, just badly; its own accuracy shows it at once. MMRazor has a distillation
validation loop for this (``SingleTeacherDistillValLoop``); here it is a hook, so any loop and
any distiller with a ``teacher`` attribute work.
"""
from typing import Dict, Optional

import torch
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper

from vkd_mm.registry import HOOKS

__all__ = ['TeacherEvalHook']


@HOOKS.register_module()
class TeacherEvalHook(Hook):
    """Runs the teacher over the validation set with the validation evaluator and logs the
    metrics as ``teacher/<metric>`` (the log, the message hub and the visualisation backends).

    The teacher sees the batches after the distiller's data preprocessor, exactly as during
    training, and predicts with ``mode='predict'``. In a distributed run each process evaluates
    its share and the evaluator gathers the results, as for the student.

    Args:
        before_train (bool): evaluate once before the first training iteration. Default: True.
        every_val (bool): evaluate after each validation of the student, too. Default: False.
        prefix (str): the prefix of the logged keys. Default: 'teacher'.
    """

    priority = 'BELOW_NORMAL'

    def __init__(self,
                 before_train: bool = True,
                 every_val: bool = False,
                 prefix: str = 'teacher') -> None:
        self.at_start = before_train
        self.every_val = every_val
        self.prefix = prefix
        self.metrics: Optional[Dict[str, float]] = None  # the last teacher metrics

    def before_train(self, runner) -> None:
        if self.at_start:
            self.evaluate(runner)

    def after_val_epoch(self, runner, metrics: Optional[Dict[str, float]] = None) -> None:
        if self.every_val:
            self.evaluate(runner)

    @torch.no_grad()
    def evaluate(self, runner) -> Dict[str, float]:
        """Evaluate the teacher on the val dataloader; returns and logs its metrics."""
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        teacher = getattr(model, 'teacher', None)
        if teacher is None:
            raise AttributeError(f'TeacherEvalHook needs a distiller with a `teacher`; '
                                 f'{type(model).__name__} has none')
        loop = runner.val_loop  # built on first use, as the Runner's validation does
        if loop is None:
            raise ValueError('TeacherEvalHook evaluates on the validation set; the config has no '
                             'val_dataloader / val_evaluator')
        was_training = teacher.training
        teacher.eval()
        for data_batch in loop.dataloader:
            data = model.data_preprocessor(data_batch, False)
            outputs = teacher(**data, mode='predict')
            loop.evaluator.process(data_samples=outputs, data_batch=data_batch)
        metrics = loop.evaluator.evaluate(len(loop.dataloader.dataset))
        teacher.train(was_training)

        tagged = {f'{self.prefix}/{key}': value for key, value in metrics.items()}
        for key, value in tagged.items():
            if isinstance(value, (int, float)):
                runner.message_hub.update_scalar(key, value)
        runner.visualizer.add_scalars(
            {
                k: v
                for k, v in tagged.items() if isinstance(v, (int, float))
            }, step=runner.iter)
        runner.logger.info(
            'Teacher evaluation (epoch %d, iter %d): %s', runner.epoch, runner.iter,
            '  '.join(f'{key}: {value:.4f}' if isinstance(value, float) else f'{key}: {value}'
                      for key, value in tagged.items()))
        self.metrics = dict(metrics)
        return self.metrics
