"""A model that trains a student with V_kD against a frozen teacher.

Paper: "Improving Knowledge Distillation using Orthogonal Projections", Miles, Elezi, Deng,
CVPR 2024, https://arxiv.org/abs/2403.06213. Official code: https://github.com/roymiles/vkd.
"""
import logging
from collections import OrderedDict
from typing import Dict, Optional, Sequence, Union

import torch
from mmengine.dist import is_distributed
from mmengine.logging import print_log
from mmengine.model import BaseModel
from mmengine.optim import OptimWrapper
from torch import nn

from vkd_mm.registry import MODELS
from vkd_mm.utils import load_checkpoint_checked
from ..recorder import FeatureRecorder
from ..teacher import build_teacher, check_teacher_dtype, freeze_teacher, teacher_precision
from .distill_pair import DistillPair
from .labels import extract_labels
from .nonfinite import describe_nonfinite_term

__all__ = ['VkDDistiller']

ForwardResults = Union[Dict[str, torch.Tensor], list, tuple, torch.Tensor]
_NONFINITE_POLICIES = ('raise', 'skip')
_DISTILL_DEFAULTS = dict(
    projector=dict(type='OrthogonalProjector'),
    teacher_norm=dict(type='BatchStandardize'),
    student_norm=None,
    loss=dict(type='VkDLoss'))


@MODELS.register_module()
class VkDDistiller(BaseModel):
    """Wraps a student and a frozen teacher and adds one distillation term per pair.

    Data flow of :meth:`loss` for a ``distill`` pair (V_kD by default)::

        inputs --> student (mode='loss') --> student losses
                      |  forward hooks record student features
                      v
                   DistillPair: reduce -> projector -> student_norm --> loss --> loss_vkd_<name>
                      ^         reduce -> teacher_norm ------------------^
                      |  forward hooks record teacher features
        inputs --> teacher (no_grad, eval; with teacher_dtype: autocast, features cast to fp32)

    Each pair is a :class:`DistillPair` module in :attr:`pairs` (name -> pair), which owns its
    projector, normalisers and loss. A ``logit_distill`` pair has no projector and no
    normaliser (KL, WKD-L) and its loss may also receive the batch's labels.

    The teacher is built from ``teacher`` (a model config or a config file path), loaded from
    ``teacher_ckpt`` (strict by default), has no gradients, and stays in eval mode whatever
    ``train()`` is called with; :meth:`init_weights` leaves it untouched. The projectors belong to
    the distiller: the optimiser trains them with the student, and
    ``tools/export_student.py`` drops them with the teacher. ``predict`` and ``tensor`` modes run
    the student alone.

    Args:
        student (dict): config of the student, built in the current default scope.
        teacher (dict | str): config of the teacher, or a config file whose ``model`` is it: a
            path, or a package config such as ``'mmpretrain::resnet/resnet50_8xb32_in1k.py'``.
        teacher_ckpt (str, optional): teacher weights (MMEngine, official or bare state dict).
        teacher_ckpt_strict (bool): fail on any missing, unexpected or mis-shaped key.
            Default: True.
        distill (Sequence[dict]): the feature pairs. Each dict has ``student`` and ``teacher``
            (keyword arguments of :class:`FeatureSource`: ``path``, ``channels``, ``index``,
            ``skip_tokens``, ``pool``, ``channels_last``), an optional ``name`` (default: its
            index), and optional component configs: ``projector`` (default
            ``OrthogonalProjector``), ``teacher_norm`` (default ``BatchStandardize``; None for
            no normalisation), ``student_norm`` (default None; the official detection code
            standardises the projected student too) and ``loss`` (default ``VkDLoss``).
        logit_distill (Sequence[dict]): output pairs compared without a projector, e.g. logits
            with ``KLDivergenceLoss`` or ``WKDLogitLoss``. Each dict has ``student``,
            ``teacher`` (as above), ``loss`` and an optional ``name`` (default ``logit<index>``).
            A loss whose ``needs_labels`` is True is also given the ground-truth labels.
        teacher_forward_mode (str): the mode the teacher runs in; 'tensor' runs the whole network
            without losses. Default: 'tensor'.
        teacher_dtype (str, optional): the precision of the teacher's forward: 'bf16' or
            'fp16' run it under autocast to that dtype (its weights stay fp32), 'fp32' with
            autocast off, None in whatever context the step is in (the student's AMP too).
            With a dtype set, the recorded teacher features reach the pairs in fp32; the
            student's forward and backward are untouched. A device that cannot autocast to the
            dtype raises a ValueError at the first step. Default: None.
        nonfinite (str): what a NaN or infinite distillation term does: 'raise' stops training
            with a FloatingPointError naming the pair, the side and the first non-finite input;
            'skip' skips the optimiser step of that batch (one process only) and logs
            ``nonfinite_skipped``. Default: 'raise'.
        data_preprocessor (dict | nn.Module, optional): a dict goes to the student (as the
            Runner does with a config's) and the student's is used; a module replaces it.
        init_cfg (dict, optional): initialisation config.
    """

    def __init__(self,
                 student: dict,
                 teacher: Optional[Union[dict, str]] = None,
                 teacher_ckpt: Optional[str] = None,
                 teacher_ckpt_strict: bool = True,
                 distill: Sequence[dict] = (),
                 logit_distill: Sequence[dict] = (),
                 teacher_forward_mode: str = 'tensor',
                 teacher_dtype: Optional[str] = None,
                 nonfinite: str = 'raise',
                 data_preprocessor: Optional[Union[dict, nn.Module]] = None,
                 init_cfg: Optional[dict] = None) -> None:
        if nonfinite not in _NONFINITE_POLICIES:
            raise ValueError(f'nonfinite must be one of {_NONFINITE_POLICIES}, got {nonfinite!r}')
        if isinstance(data_preprocessor, dict):
            student = dict(student)
            student.setdefault('data_preprocessor', data_preprocessor)
        student_model = MODELS.build(student)
        if not isinstance(data_preprocessor, nn.Module):
            data_preprocessor = getattr(student_model, 'data_preprocessor', None)
        super().__init__(data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        self.student = student_model
        self.teacher = build_teacher(teacher, 'VkDDistiller')
        if teacher_ckpt is not None:
            self.load_teacher_checkpoint(teacher_ckpt, strict=teacher_ckpt_strict)
        freeze_teacher(self.teacher)
        self.teacher_forward_mode = teacher_forward_mode
        check_teacher_dtype(teacher_dtype)
        self.teacher_dtype = teacher_dtype
        self.nonfinite = nonfinite
        self._skip_step = False  # set by loss() when nonfinite='skip' meets a non-finite term

        if not distill and not logit_distill:
            raise ValueError('VkDDistiller needs at least one pair in `distill` or '
                             '`logit_distill`')
        self.pairs = nn.ModuleDict()
        entries = [(cfg, str(index), 'distill', _DISTILL_DEFAULTS)
                   for index, cfg in enumerate(distill)]
        entries += [(cfg, f'logit{index}', 'logit_distill', dict(loss=None))
                    for index, cfg in enumerate(logit_distill)]
        for cfg, default_name, kind, components in entries:
            pair = DistillPair.from_entry(cfg, default_name, kind, components)
            if pair.name in self.pairs:
                raise ValueError(f'two distill pairs are named {pair.name!r}; names must be '
                                 'unique')
            self.pairs[pair.name] = pair
        self.student_recorder = FeatureRecorder(
            self.student, {
                name: (pair.student_source.path, pair.student_source.index)
                for name, pair in self.pairs.items()
            }, 'student')
        self.teacher_recorder = FeatureRecorder(
            self.teacher, {
                name: (pair.teacher_source.path, pair.teacher_source.index)
                for name, pair in self.pairs.items()
            }, 'teacher')

    def load_teacher_checkpoint(self, filename: str, strict: bool = True) -> None:
        """Load teacher weights from ``filename``; see :func:`load_state_dict_checked`."""
        load_checkpoint_checked(self.teacher, filename, strict=strict, role='teacher')

    def train(self, mode: bool = True) -> 'VkDDistiller':
        """Set the student's mode; the teacher always stays in eval mode."""
        super().train(mode)
        self.teacher.eval()
        return self

    def init_weights(self) -> None:
        """Initialise the student only; the teacher keeps its loaded weights."""
        if hasattr(self.student, 'init_weights'):
            self.student.init_weights()

    def forward(self,
                inputs: torch.Tensor,
                data_samples: Optional[list] = None,
                mode: str = 'tensor') -> ForwardResults:
        if mode == 'loss':
            return self.loss(inputs, data_samples)
        if mode in ('predict', 'tensor'):
            return self.student(inputs, data_samples, mode=mode)
        raise ValueError(f'invalid mode {mode!r}; expected "loss", "predict" or "tensor"')

    def loss(self, inputs: torch.Tensor, data_samples: Optional[list]) -> Dict[str, torch.Tensor]:
        """The student's own losses plus ``loss_<kind>_<name>`` for every pair (as
        :meth:`combine_pair_losses` returns them)."""
        losses, student_feats = self.forward_student(inputs, data_samples)
        teacher_feats = self.forward_teacher(inputs, data_samples)
        distill_losses = self.loss_pairs(student_feats, teacher_feats, data_samples)
        self._check_finite(distill_losses, inputs, student_feats, teacher_feats)
        for name, loss in self.combine_pair_losses(distill_losses).items():
            if name in losses:
                raise ValueError(f'the student already returns a loss named {name!r}')
            losses[name] = loss
        return losses

    def combine_pair_losses(self, pair_losses: Dict[str, torch.Tensor]) -> Dict[str, torch.Tensor]:
        """The pairs' terms as they enter the student's loss dict: each on its own here; a
        subclass may combine them (:class:`TokenMatchingDistiller`).

        Args:
            pair_losses (dict): :attr:`DistillPair.loss_key` -> scalar, as
                :meth:`loss_pairs` returns them, checked finite.

        Returns:
            dict: the entries to add; MMEngine sums the keys that contain ``loss``.
        """
        return pair_losses

    def train_step(self, data: Union[dict, tuple, list],
                   optim_wrapper: OptimWrapper) -> Dict[str, torch.Tensor]:
        """``BaseModel.train_step``, except that a step ``loss`` marked non-finite under
        ``nonfinite='skip'`` updates nothing and logs ``nonfinite_skipped``."""
        self._skip_step = False
        with optim_wrapper.optim_context(self):
            data = self.data_preprocessor(data, True)
            losses = self._run_forward(data, mode='loss')
        if self._skip_step:
            optim_wrapper.zero_grad()
            return OrderedDict(nonfinite_skipped=torch.ones(()))
        parsed_losses, log_vars = self.parse_losses(losses)
        optim_wrapper.update_params(parsed_losses)
        return log_vars

    def _check_finite(self, distill_losses: Dict[str, torch.Tensor], inputs: torch.Tensor,
                      student_feats: Dict[str, torch.Tensor],
                      teacher_feats: Dict[str, torch.Tensor]) -> None:
        """Stop (or mark the step skipped) when a distillation term is NaN or infinite."""
        message = describe_nonfinite_term(self.pairs, distill_losses, inputs, student_feats,
                                          teacher_feats)
        if message is None:
            return
        if self.nonfinite == 'raise':
            raise FloatingPointError(
                f'{message}. Set nonfinite="skip" in the distiller config to skip such steps.')
        if is_distributed():
            raise FloatingPointError(f'{message}. nonfinite="skip" cannot skip a step of one '
                                     'process under distributed training.')
        print_log(
            f'{message}; the step is skipped (nonfinite="skip")',
            logger='current',
            level=logging.WARNING)
        self._skip_step = True

    def forward_student(self, inputs: torch.Tensor, data_samples: Optional[list]):
        """Run the student in loss mode and record its features.

        Returns:
            tuple: the student's loss dict and a dict pair name -> recorded feature.
        """
        with self.student_recorder.record() as feats:
            losses = self.student(inputs, data_samples, mode='loss')
        self._check_recorded(feats, self.student_recorder, 'student')
        return dict(losses), feats

    @torch.no_grad()
    def forward_teacher(self, inputs: torch.Tensor,
                        data_samples: Optional[list]) -> Dict[str, torch.Tensor]:
        """Run the frozen teacher without gradients, in the precision of :attr:`teacher_dtype`.

        Returns:
            dict: pair name -> recorded feature; fp32 when :attr:`teacher_dtype` is set.
        """
        device = inputs.device if isinstance(inputs, torch.Tensor) else \
            next(self.teacher.parameters()).device
        with self.teacher_recorder.record() as feats, \
                teacher_precision(self.teacher_dtype, device):
            self.teacher(inputs, data_samples, mode=self.teacher_forward_mode)
        self._check_recorded(feats, self.teacher_recorder, 'teacher')
        if self.teacher_dtype is not None:
            feats = {
                name: feat.float() if feat.is_floating_point() else feat
                for name, feat in feats.items()
            }
        return {name: feat.detach() for name, feat in feats.items()}

    @staticmethod
    def _check_recorded(feats: dict, recorder: FeatureRecorder, role: str) -> None:
        unseen = [path for name, (path, _) in recorder.sources.items() if name not in feats]
        if unseen:
            raise RuntimeError(f'{role} modules {unseen} did not run in the forward pass; '
                               f'distil from modules on the path the {role} executes')

    def loss_pairs(self, student_feats: Dict[str, torch.Tensor], teacher_feats: Dict[str,
                                                                                     torch.Tensor],
                   data_samples: Optional[list]) -> Dict[str, torch.Tensor]:
        """One term per pair.

        Args:
            student_feats (dict): pair name -> recorded student feature, (B, C_s),
                (B, N, C_s) or (B, C_s, H, W).
            teacher_feats (dict): pair name -> recorded teacher feature of the same layout
                with C_t.
            data_samples (list, optional): the batch's data samples, whose labels a pair with
                ``needs_labels`` gets.

        Returns:
            dict: :attr:`DistillPair.loss_key` (``loss_<kind>_<name>``) -> scalar.
        """
        labels = None
        if any(pair.needs_labels for pair in self.pairs.values()):
            labels = extract_labels(data_samples)
        return {
            pair.loss_key: pair(student_feats[name], teacher_feats[name], labels)
            for name, pair in self.pairs.items()
        }
