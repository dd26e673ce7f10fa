"""One distillation term: two feature sources, the projector, the normalisers and the loss."""
import copy
from typing import List, Optional, Tuple, Union

import torch
from torch import nn

from vkd_mm.registry import MODELS
from ..normalizers import FeatureNormalizer
from ..projectors import TokenProjector
from ..tokens import channel_dim, from_tokens, to_tokens
from .feature_source import FeatureSource

__all__ = ['DistillPair']

# modules that act on each token alone: a chain of them runs on one flattening of the feature
_TOKENWISE = (TokenProjector, FeatureNormalizer, nn.Identity)


def _build(cfg: Optional[dict], **kwargs) -> nn.Module:
    return MODELS.build(dict(cfg, **kwargs)) if cfg else nn.Identity()


def _as_source(source: Union[dict, FeatureSource], name: str, side: str) -> FeatureSource:
    if isinstance(source, FeatureSource):
        return source
    try:
        return FeatureSource(**source)
    except TypeError as error:
        raise ValueError(f'distill pair {name!r}: `{side}` needs `path` and `channels` '
                         f'(optional: index, skip_tokens, pool, channels_last); {error}') from None


class DistillPair(nn.Module):
    """A named distillation term between one student feature and one teacher feature.

    Data flow of :meth:`forward`::

        student feature -> reduce -> projector -> student_norm --> loss --> scalar
        teacher feature -> reduce -> teacher_norm ----------------^

    ``reduce`` is the sources' ``skip_tokens`` / ``pool`` / ``channels_last``. When the
    projector and the normalisers all act on tokens (every :class:`TokenProjector` and
    :class:`FeatureNormalizer`), each side is flattened to tokens (M, C) once and restored once.
    A pair without a projector and normalisers compares the features as they are (logits with
    KL or WKD-L); a loss whose ``needs_labels`` is True also gets the batch's labels.

    Args:
        name (str): the pair's name; its loss is logged as ``loss_<kind>_<name>``, the kind being
            the loss module's ``loss_name`` (``vkd`` for :class:`VkDLoss`).
        student (dict | FeatureSource): the student feature (:class:`FeatureSource` arguments).
        teacher (dict | FeatureSource): the teacher feature.
        loss (dict): config of the loss, called as ``loss(student, teacher[, labels])``.
        projector (dict, optional): config of the student projector, built with
            ``in_channels`` / ``out_channels`` from the sources; None for none.
        teacher_norm (dict, optional): normaliser of the teacher feature; None for none.
        student_norm (dict, optional): normaliser of the projected student feature.
    """

    def __init__(self,
                 name: str,
                 student: Union[dict, FeatureSource],
                 teacher: Union[dict, FeatureSource],
                 loss: dict,
                 projector: Optional[dict] = None,
                 teacher_norm: Optional[dict] = None,
                 student_norm: Optional[dict] = None) -> None:
        super().__init__()
        self.name = str(name)
        self.student_source = _as_source(student, self.name, 'student')
        self.teacher_source = _as_source(teacher, self.name, 'teacher')
        self.projector = _build(
            projector,
            in_channels=self.student_source.channels,
            out_channels=self.teacher_source.channels)
        self.teacher_norm = _build(teacher_norm)
        self.student_norm = _build(student_norm)
        for side, norm in (('teacher', self.teacher_norm), ('student', self.student_norm)):
            if hasattr(norm, 'owner'):  # named in the warnings of degenerate batch statistics
                norm.owner = f'distill pair {self.name!r}, {side}_norm'
        self.loss = MODELS.build(loss)

    @classmethod
    def from_entry(cls, cfg: dict, default_name: str, kind: str, components: dict) -> 'DistillPair':
        """Build a pair from a distiller's ``distill`` or ``logit_distill`` entry.

        Args:
            cfg (dict): the entry: ``name``, ``student``, ``teacher`` and the components.
            default_name (str): the name when the entry has none.
            kind (str): 'distill' or 'logit_distill', for error messages.
            components (dict): the component keys the entry may set, with their defaults; a
                ``loss`` that resolves to None is missing.
        """
        cfg = copy.deepcopy(dict(cfg))
        name = str(cfg.pop('name', default_name))
        missing = [side for side in ('student', 'teacher') if side not in cfg]
        if missing:
            raise ValueError(f'{kind} pair {name!r} needs `student` and `teacher` (each with '
                             f'`path` and `channels`); it has no {missing}')
        if cfg.get('loss', components['loss']) is None:
            raise ValueError(f'{kind} pair {name!r} needs a `loss`, e.g. '
                             'dict(type="KLDivergenceLoss")')
        unknown = sorted(set(cfg) - {'student', 'teacher'} - set(components))
        if unknown:
            allowed = ', '.join(['name', 'student', 'teacher', *components])
            raise ValueError(f'{kind} pair {name!r} has unknown keys {unknown}; allowed: '
                             f'{allowed}')
        return cls(name, **{**components, **cfg})

    @property
    def loss_key(self) -> str:
        """``loss_<kind>_<name>``, the kind being the loss module's ``loss_name``."""
        return f'loss_{getattr(self.loss, "loss_name", "distill")}_{self.name}'

    @property
    def needs_labels(self) -> bool:
        return bool(getattr(self.loss, 'needs_labels', False))

    def reduce(self, student: torch.Tensor,
               teacher: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        """Both features after ``skip_tokens`` / ``pool`` / ``channels_last``, their channel
        counts checked against the config."""
        student = self.student_source.reduce(student)
        teacher = self.teacher_source.reduce(teacher)
        for side, source, feature in (('student', self.student_source, student),
                                      ('teacher', self.teacher_source, teacher)):
            channels = feature.shape[channel_dim(feature)]
            if channels != source.channels:
                where = f' at {source.path!r}' if source.path else ''
                raise ValueError(
                    f'distill pair {self.name!r}: the {side} feature{where} has {channels} '
                    f'channels (shape {tuple(feature.shape)}) but the config says '
                    f'{source.channels}; set {side}=dict(..., channels={channels})')
        return student, teacher

    def project(self, student: torch.Tensor) -> torch.Tensor:
        """The reduced student feature after the projector and ``student_norm``: same layout,
        teacher channels."""
        return self._chain(student, self.projector, self.student_norm)

    def target(self, teacher: torch.Tensor) -> torch.Tensor:
        """The reduced teacher feature after ``teacher_norm``."""
        return self._chain(teacher, self.teacher_norm)

    @staticmethod
    def _chain(feature: torch.Tensor, *modules: nn.Module) -> torch.Tensor:
        modules = [module for module in modules if not isinstance(module, nn.Identity)]
        if not modules:
            return feature
        if not all(isinstance(module, _TOKENWISE) for module in modules):
            for module in modules:
                feature = module(feature)
            return feature
        tokens, shape = to_tokens(feature)
        for module in modules:
            tokens = module(tokens)
        return from_tokens(tokens, shape)

    def forward(self,
                student: torch.Tensor,
                teacher: torch.Tensor,
                labels: Optional[torch.Tensor] = None) -> torch.Tensor:
        """The pair's loss.

        Args:
            student (Tensor): the student feature as recorded: (B, C_s), (B, N, C_s) or
                (B, C_s, H, W), or (..., C_s) with ``channels_last``.
            teacher (Tensor): the teacher feature of the same layout with C_t channels.
            labels (Tensor, optional): class indices (B, ) or scores (B, n), for a loss whose
                ``needs_labels`` is True.

        Returns:
            Tensor: the scalar loss.
        """
        student, teacher = self.reduce(student, teacher)
        projected, target = self.project(student), self.target(teacher)
        if projected.shape != target.shape:
            raise ValueError(
                f'distill pair {self.name!r}: the projected student feature has shape '
                f'{tuple(projected.shape)} but the teacher feature has {tuple(target.shape)}; '
                'pick layers of the same resolution or set pool="avg" on both sides')
        if self.needs_labels:
            if labels is None:
                raise ValueError(f'distill pair {self.name!r}: its loss needs the labels of the '
                                 'batch, but none were given')
            return self.loss(projected, target, labels)
        return self.loss(projected, target)

    @torch.no_grad()
    def stages(self, student: torch.Tensor,
               teacher: torch.Tensor) -> List[Tuple[str, str, torch.Tensor]]:
        """Each tensor on the way into the loss, student side first, as (side, description,
        tensor): what a non-finite loss is traced back through. Normalisers run in eval mode,
        so running statistics are not updated again; their modes are restored on return."""
        stages = [('student', f'the feature recorded at {self.student_source.path!r}', student),
                  ('teacher', f'the feature recorded at {self.teacher_source.path!r}', teacher)]
        if isinstance(self.projector, nn.Identity):
            return stages
        student, teacher = self.reduce(student, teacher)
        projected = self._chain(student, self.projector)
        norms = (self.student_norm, self.teacher_norm)
        modes = [norm.training for norm in norms]
        for norm in norms:
            norm.eval()
        try:
            stages += [
                ('student', 'the projected feature', projected),
                ('student', 'the normalised projected feature',
                 self._chain(projected, self.student_norm)),
                ('teacher', 'the normalised feature', self._chain(teacher, self.teacher_norm)),
            ]
        finally:
            for norm, mode in zip(norms, modes):
                norm.train(mode)
        return stages

    def extra_repr(self) -> str:
        return f'name={self.name!r}'
