"""A model that trains a student with V_kD against a frozen teacher.

Paper: "Improving Knowledge Distillation using Orthogonal Projections", Miles, Elezi, Deng,
CVPR 2024, https://arxiv.org/abs/2403.06213. Official code: https://github.com/roymiles/vkd.
"""
import copy
import logging
from collections import OrderedDict
from typing import Dict, List, Optional, Sequence, Tuple, Union

import torch
from mmengine.dist import is_distributed
from mmengine.logging import print_log
from mmengine.model import BaseModel
from mmengine.optim import OptimWrapper
from torch import nn

from vkd_mm.registry import MODELS
from vkd_mm.utils import load_checkpoint_checked, load_config
from ..recorder import FeatureRecorder
from ..tokens import channel_dim
from .feature_pair import DistillPair, FeatureSource

__all__ = ['VkDDistiller']

ForwardResults = Union[Dict[str, torch.Tensor], list, tuple, torch.Tensor]
_NONFINITE_POLICIES = ('raise', 'skip')


def _build_teacher(teacher: Optional[Union[dict, str]]) -> nn.Module:
    """Build the teacher from a model config, or from the ``model`` of a config file path."""
    if teacher is None:
        raise ValueError('VkDDistiller needs a teacher: a model config dict or the path of a '
                         'config file whose `model` is the teacher')
    if isinstance(teacher, str):
        teacher = load_config(teacher)['model']
    return MODELS.build(teacher)


@MODELS.register_module()
class VkDDistiller(BaseModel):
    """Wraps a student and a frozen teacher and adds one distillation term per pair.

    Data flow of :meth:`loss` for a ``distill`` pair (V_kD by default)::

        inputs --> student (mode='loss') --> student losses
                      |  forward hooks record student features
                      v
                   reduce (skip tokens / pool) --> projector ---------> VkDLoss --> loss_vkd_<name>
        inputs --> teacher (no_grad, eval) --> reduce --> teacher_norm ---^

    A ``logit_distill`` pair skips the projector and the normaliser (KL, WKD-L) and its loss
    may also receive the batch's labels.

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
        teacher_ckpt_strict (bool): fail on any missing, unexpected or mis-shaped key. Default: True.
        distill (Sequence[dict]): the feature pairs. Each dict has ``student`` and ``teacher``
            (keyword arguments of :class:`FeatureSource`: ``path``, ``channels``, ``index``,
            ``skip_tokens``, ``pool``, ``channels_last``), an optional ``name`` (default: its index), and optional
            component configs: ``projector`` (default ``OrthogonalProjector``), ``teacher_norm``
            (default ``BatchStandardize``; None for no normalisation), ``student_norm`` (default
            None; the official detection code standardises the projected student too) and
            ``loss`` (default ``VkDLoss``).
        logit_distill (Sequence[dict]): output pairs compared without a projector, e.g. logits
            with ``KLDivergenceLoss`` or ``WKDLogitLoss``. Each dict has ``student``,
            ``teacher`` (as above), ``loss`` and an optional ``name`` (default ``logit<index>``).
            A loss whose ``needs_labels`` is True is also given the ground-truth labels.
        teacher_forward_mode (str): the mode the teacher runs in; 'tensor' runs the whole network
            without losses. Default: 'tensor'.
        nonfinite (str): what a NaN or infinite distillation term does: 'raise' stops training
            with a FloatingPointError naming the pair, the side and the first non-finite input;
            'skip' skips the optimiser step of that batch (one process only) and logs
            ``nonfinite_skipped``. Default: 'raise'.
        data_preprocessor (dict | nn.Module, optional): a dict is given to the student (as the
            Runner does with a config's top-level ``data_preprocessor``) and the student's
            preprocessor is used; a module replaces it. The teacher sees the same inputs.
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
        self.teacher = _build_teacher(teacher)
        if teacher_ckpt is not None:
            self.load_teacher_checkpoint(teacher_ckpt, strict=teacher_ckpt_strict)
        self.teacher.requires_grad_(False)
        self.teacher.eval()
        self.teacher_forward_mode = teacher_forward_mode
        self.nonfinite = nonfinite
        self._skip_step = False  # set by loss() when nonfinite='skip' meets a non-finite term

        if not distill and not logit_distill:
            raise ValueError('VkDDistiller needs at least one pair in `distill` or '
                             '`logit_distill`')
        self.pairs: List[DistillPair] = []
        self.logit_pairs: List[DistillPair] = []
        self.projectors = nn.ModuleDict()
        self.teacher_norms = nn.ModuleDict()
        self.student_norms = nn.ModuleDict()
        self.distill_losses = nn.ModuleDict()
        self.logit_losses = nn.ModuleDict()
        for index, pair_cfg in enumerate(distill):
            self._add_pair(index, copy.deepcopy(dict(pair_cfg)))
        for index, pair_cfg in enumerate(logit_distill):
            self._add_logit_pair(index, copy.deepcopy(dict(pair_cfg)))
        recorded = self.pairs + self.logit_pairs
        self.student_recorder = FeatureRecorder(
            self.student, {p.name: (p.student.path, p.student.index) for p in recorded},
            'student')
        self.teacher_recorder = FeatureRecorder(
            self.teacher, {p.name: (p.teacher.path, p.teacher.index) for p in recorded},
            'teacher')

    def _parse_pair(self, cfg: dict, default_name: str) -> DistillPair:
        name = str(cfg.pop('name', default_name))
        if any(pair.name == name for pair in self.pairs + self.logit_pairs):
            raise ValueError(f'two distill pairs are named {name!r}; names must be unique')
        try:
            student = FeatureSource(**cfg.pop('student'))
            teacher = FeatureSource(**cfg.pop('teacher'))
        except (KeyError, TypeError) as error:
            raise ValueError(f'distill pair {name!r}: `student` and `teacher` need `path` and '
                             f'`channels` (optional: index, skip_tokens, pool, channels_last); {error}') from None
        return DistillPair(name, student, teacher)

    def _add_logit_pair(self, index: int, cfg: dict) -> None:
        pair = self._parse_pair(cfg, f'logit{index}')
        if 'loss' not in cfg:
            raise ValueError(f'logit_distill pair {pair.name!r} needs a `loss`, e.g. '
                             'dict(type="KLDivergenceLoss")')
        loss = cfg.pop('loss')
        if cfg:
            raise ValueError(f'logit_distill pair {pair.name!r} has unknown keys {sorted(cfg)}; '
                             'allowed: name, student, teacher, loss')
        self.logit_pairs.append(pair)
        self.logit_losses[pair.name] = MODELS.build(loss)

    def _add_pair(self, index: int, cfg: dict) -> None:
        pair = self._parse_pair(cfg, str(index))
        name, student, teacher = pair.name, pair.student, pair.teacher
        projector = cfg.pop('projector', dict(type='OrthogonalProjector'))
        teacher_norm = cfg.pop('teacher_norm', dict(type='BatchStandardize'))
        student_norm = cfg.pop('student_norm', None)
        loss = cfg.pop('loss', dict(type='VkDLoss'))
        if cfg:
            raise ValueError(f'distill pair {name!r} has unknown keys {sorted(cfg)}; allowed: '
                             'name, student, teacher, projector, teacher_norm, student_norm, loss')
        self.pairs.append(pair)
        self.projectors[name] = MODELS.build(
            dict(projector, in_channels=student.channels, out_channels=teacher.channels))
        self.teacher_norms[name] = MODELS.build(teacher_norm) if teacher_norm else nn.Identity()
        self.student_norms[name] = MODELS.build(student_norm) if student_norm else nn.Identity()
        for side, norm in (('teacher', self.teacher_norms[name]),
                           ('student', self.student_norms[name])):
            if hasattr(norm, 'owner'):  # named in the warnings of degenerate batch statistics
                norm.owner = f'distill pair {name!r}, {side}_norm'
        self.distill_losses[name] = MODELS.build(loss)

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
        """The student's own losses plus ``loss_<kind>_<name>`` for every pair."""
        losses, student_feats = self.forward_student(inputs, data_samples)
        teacher_feats = self.forward_teacher(inputs, data_samples)
        distill_losses = self.loss_distill(student_feats, teacher_feats)
        distill_losses.update(self.loss_logits(student_feats, teacher_feats, data_samples))
        self._check_finite(distill_losses, inputs, student_feats, teacher_feats)
        for name, loss in distill_losses.items():
            if name in losses:
                raise ValueError(f'the student already returns a loss named {name!r}')
            losses[name] = loss
        return losses

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
        if not distill_losses:
            return
        # NOTE one device sync per step for all pairs together
        values = torch.stack([v.detach().float().sum() for v in distill_losses.values()])
        if bool(torch.isfinite(values).all()):
            return
        key = next(k for k, v in distill_losses.items() if not torch.isfinite(v).all())
        pair = next(p for p in self.pairs + self.logit_pairs if key.endswith(f'_{p.name}'))
        side, where, tensor = self._first_nonfinite_input(pair, student_feats, teacher_feats)
        if tensor is None:
            found = 'every input of the term is finite: the loss itself overflowed'
        else:
            bad = int((~torch.isfinite(tensor)).sum())
            found = (f'the first non-finite input is the {side} side: {where} '
                     f'({bad} of {tensor.numel()} values)')
        if isinstance(inputs, torch.Tensor):
            bad_inputs = int((~torch.isfinite(inputs.float())).sum())
            found += (f'; the batch inputs hold {bad_inputs} non-finite values' if bad_inputs
                      else '; the batch inputs are finite')
        message = f'distill pair {pair.name!r}: {key} is {distill_losses[key].item()}; {found}'
        if self.nonfinite == 'raise':
            raise FloatingPointError(
                f'{message}. Set nonfinite="skip" in the distiller config to skip such steps.')
        if is_distributed():
            raise FloatingPointError(f'{message}. nonfinite="skip" cannot skip a step of one '
                                     'process under distributed training.')
        print_log(f'{message}; the step is skipped (nonfinite="skip")', logger='current',
                  level=logging.WARNING)
        self._skip_step = True

    def _first_nonfinite_input(
            self, pair: DistillPair, student_feats: Dict[str, torch.Tensor],
            teacher_feats: Dict[str, torch.Tensor]
    ) -> Tuple[str, str, Optional[torch.Tensor]]:
        """The first non-finite tensor on the way into a pair's loss, student side first:
        (side, description, tensor), or (``''``, ``''``, None) when all are finite."""
        student = student_feats[pair.name]
        teacher = teacher_feats[pair.name]
        stages = [('student', f'the feature recorded at {pair.student.path!r}', student),
                  ('teacher', f'the feature recorded at {pair.teacher.path!r}', teacher)]
        if pair in self.pairs:
            with torch.no_grad():
                reduced_student, reduced_teacher = self._reduced(pair, student_feats,
                                                                 teacher_feats)
                projected = self.projectors[pair.name](reduced_student)
                norms = (self.student_norms[pair.name], self.teacher_norms[pair.name])
                modes = [norm.training for norm in norms]
                for norm in norms:  # NOTE eval: running statistics are not updated again
                    norm.eval()
                stages += [
                    ('student', 'the projected feature', projected),
                    ('student', 'the normalised projected feature', norms[0](projected)),
                    ('teacher', 'the normalised feature', norms[1](reduced_teacher)),
                ]
                for norm, mode in zip(norms, modes):
                    norm.train(mode)
        for side, where, tensor in stages:
            if not torch.isfinite(tensor).all():
                return side, where, tensor
        return '', '', None

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
        """Run the frozen teacher without gradients; returns pair name -> recorded feature."""
        with self.teacher_recorder.record() as feats:
            self.teacher(inputs, data_samples, mode=self.teacher_forward_mode)
        self._check_recorded(feats, self.teacher_recorder, 'teacher')
        return {name: feat.detach() for name, feat in feats.items()}

    @staticmethod
    def _check_recorded(feats: dict, recorder: FeatureRecorder, role: str) -> None:
        unseen = [path for name, (path, _) in recorder.sources.items() if name not in feats]
        if unseen:
            raise RuntimeError(f'{role} modules {unseen} did not run in the forward pass; '
                               f'distil from modules on the path the {role} executes')

    def loss_distill(self, student_feats: Dict[str, torch.Tensor],
                     teacher_feats: Dict[str, torch.Tensor]) -> Dict[str, torch.Tensor]:
        """One term per ``distill`` pair (V_kD by default).

        Args:
            student_feats (dict): pair name -> student feature, (B, C_s), (B, N, C_s) or
                (B, C_s, H, W).
            teacher_feats (dict): pair name -> teacher feature of the same layout with C_t.

        Returns:
            dict: ``loss_<kind>_<name>`` -> scalar, where the kind is the loss module's
            ``loss_name`` (``vkd`` for :class:`VkDLoss`).
        """
        losses = {}
        for pair in self.pairs:
            student, teacher = self._reduced(pair, student_feats, teacher_feats)
            projected = self.student_norms[pair.name](self.projectors[pair.name](student))
            target = self.teacher_norms[pair.name](teacher)
            if projected.shape != target.shape:
                raise ValueError(
                    f'distill pair {pair.name!r}: the projected student feature has shape '
                    f'{tuple(projected.shape)} but the teacher feature has '
                    f'{tuple(target.shape)}; pick layers of the same resolution or set '
                    f'pool="avg" on both sides')
            loss = self.distill_losses[pair.name]
            losses[self._loss_key(loss, pair)] = loss(projected, target)
        return losses

    def loss_logits(self, student_feats: Dict[str, torch.Tensor],
                    teacher_feats: Dict[str, torch.Tensor],
                    data_samples: Optional[list]) -> Dict[str, torch.Tensor]:
        """One term per ``logit_distill`` pair, on the outputs as recorded (after reduce).

        Returns:
            dict: ``loss_<kind>_<name>`` -> scalar.
        """
        losses = {}
        for pair in self.logit_pairs:
            student, teacher = self._reduced(pair, student_feats, teacher_feats)
            loss = self.logit_losses[pair.name]
            args = (student, teacher)
            if getattr(loss, 'needs_labels', False):
                args += (self.extract_labels(data_samples), )
            losses[self._loss_key(loss, pair)] = loss(*args)
        return losses

    def _reduced(self, pair: DistillPair, student_feats: Dict[str, torch.Tensor],
                 teacher_feats: Dict[str, torch.Tensor]):
        """The pair's recorded features after ``skip_tokens`` / ``pool``, channels checked."""
        student = pair.student.reduce(student_feats[pair.name])
        teacher = pair.teacher.reduce(teacher_feats[pair.name])
        self._check_channels(pair, student, teacher)
        return student, teacher

    @staticmethod
    def _loss_key(loss: nn.Module, pair: DistillPair) -> str:
        """``loss_<kind>_<pair name>``, the kind being the loss module's ``loss_name``."""
        return f'loss_{getattr(loss, "loss_name", "distill")}_{pair.name}'

    @staticmethod
    def extract_labels(data_samples: Optional[list]) -> torch.Tensor:
        """Labels of a classification batch: soft scores (B, n) when Mixup/CutMix set them,
        else class indices (B, )."""
        if not data_samples:
            raise ValueError('this logit loss needs labels, but the batch has no data samples')
        if all('gt_score' in sample for sample in data_samples):
            return torch.stack([sample.gt_score for sample in data_samples])
        if all('gt_label' in sample for sample in data_samples):
            return torch.cat([sample.gt_label for sample in data_samples])
        raise ValueError('this logit loss needs labels, but the data samples carry neither '
                         '`gt_score` nor `gt_label`')

    @staticmethod
    def _check_channels(pair: DistillPair, student: torch.Tensor, teacher: torch.Tensor) -> None:
        for role, source, feat in (('student', pair.student, student),
                                   ('teacher', pair.teacher, teacher)):
            channels = feat.shape[channel_dim(feat)]
            if channels != source.channels:
                raise ValueError(
                    f'distill pair {pair.name!r}: the {role} feature at {source.path!r} has '
                    f'{channels} channels (shape {tuple(feat.shape)}) but the config says '
                    f'{source.channels}; set {role}=dict(..., channels={channels})')
