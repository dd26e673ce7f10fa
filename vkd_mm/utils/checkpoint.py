"""Checkpoint loading that works with torch >= 2.6 and reports key mismatches readably.

mmengine 0.10.7 loads local checkpoints with ``torch.load(filename, map_location)``. Since torch
2.6 that call defaults to ``weights_only=True``, which refuses the MessageHub, numpy arrays and
config objects that MMEngine itself pickles into every checkpoint, so ``resume=True`` fails.
:func:`register_trusted_local_loader` replaces mmengine's local-file scheme with one that passes
``weights_only=False``: a checkpoint that a training run wrote is as trusted as the config that
names it. It is applied when :mod:`vkd_mm` is imported.
"""
import os.path as osp
from collections import OrderedDict
from typing import Dict, List, Mapping, Optional

import torch
from mmengine.runner.checkpoint import CheckpointLoader
from torch import nn

__all__ = ['register_trusted_local_loader', 'load_from_local_trusted', 'extract_state_dict',
           'load_state_dict_checked', 'load_checkpoint_checked']

_MAX_LISTED_KEYS = 10  # keys shown per category in a mismatch report


def load_from_local_trusted(filename: str, map_location=None) -> dict:
    """Load a local checkpoint with pickled Python objects allowed (``weights_only=False``)."""
    filename = osp.expanduser(filename)
    if not osp.isfile(filename):
        raise FileNotFoundError(f'checkpoint {filename} can not be found')
    return torch.load(filename, map_location=map_location, weights_only=False)


def register_trusted_local_loader() -> None:
    """Make mmengine load local checkpoints (resume, load_from) with the loader above."""
    CheckpointLoader.register_scheme(prefixes='', loader=load_from_local_trusted, force=True)


def extract_state_dict(checkpoint: Mapping) -> 'OrderedDict[str, torch.Tensor]':
    """The model weights of a checkpoint in any of the usual layouts.

    Accepts MMEngine checkpoints (``state_dict``), official research checkpoints (``model``,
    ``student``) and bare state dicts, and drops a ``module.`` prefix left by DDP.
    """
    for key in ('state_dict', 'model', 'student'):
        if key in checkpoint and isinstance(checkpoint[key], Mapping):
            checkpoint = checkpoint[key]
            break
    return OrderedDict((k[len('module.'):] if k.startswith('module.') else k, v)
                       for k, v in checkpoint.items())


def _listed(keys: List[str]) -> str:
    shown = ', '.join(keys[:_MAX_LISTED_KEYS])
    more = len(keys) - _MAX_LISTED_KEYS
    return shown + (f', ... ({more} more)' if more > 0 else '')


def load_state_dict_checked(model: nn.Module,
                            state_dict: Dict[str, torch.Tensor],
                            strict: bool = True,
                            source: str = 'checkpoint',
                            role: str = 'model') -> Dict[str, List[str]]:
    """Load weights, reporting missing, unexpected and wrongly shaped keys by name.

    Args:
        model (nn.Module): the model to load into.
        state_dict (dict): the weights.
        strict (bool): raise on any mismatch. Default: True.
        source (str): where the weights came from, for messages.
        role (str): how messages name the model.

    Returns:
        dict: ``missing``, ``unexpected`` and ``mismatched`` key lists (empty when strict).
    """
    own = model.state_dict()
    missing = [k for k in own if k not in state_dict]
    unexpected = [k for k in state_dict if k not in own]
    mismatched = [f'{k} {tuple(state_dict[k].shape)} vs {tuple(own[k].shape)}'
                  for k in own if k in state_dict and state_dict[k].shape != own[k].shape]
    report = {'missing': missing, 'unexpected': unexpected, 'mismatched': mismatched}
    if strict and (missing or unexpected or mismatched):
        lines = [f'{role} does not match {source}:']
        if missing:
            lines.append(f'  {len(missing)} missing keys: {_listed(missing)}')
        if unexpected:
            lines.append(f'  {len(unexpected)} unexpected keys: {_listed(unexpected)}')
        if mismatched:
            lines.append(f'  {len(mismatched)} keys with other shapes (checkpoint vs model): '
                         f'{_listed(mismatched)}')
        lines.append('Check that the config builds the architecture the checkpoint was trained '
                     'with, convert the checkpoint, or load it with strict=False.')
        raise ValueError('\n'.join(lines))
    compatible = {k: v for k, v in state_dict.items()
                  if k in own and v.shape == own[k].shape}
    model.load_state_dict(compatible, strict=False)
    return report


def load_checkpoint_checked(model: nn.Module, filename: str, strict: bool = True,
                            role: str = 'model') -> Dict[str, List[str]]:
    """Read a checkpoint file in any layout :func:`extract_state_dict` knows and load it with
    :func:`load_state_dict_checked`."""
    checkpoint = CheckpointLoader.load_checkpoint(filename, map_location='cpu')
    return load_state_dict_checked(model, extract_state_dict(checkpoint), strict=strict,
                                   source=f'{role} checkpoint {filename}', role=role)


def export_student_state_dict(checkpoint: Mapping,
                              prefix: str = 'student.') -> 'OrderedDict[str, torch.Tensor]':
    """The student's weights of a distillation checkpoint, with the ``student.`` prefix removed.

    Args:
        checkpoint (dict): a checkpoint written by a run of a distiller.
        prefix (str): the distiller's attribute holding the student. Default: 'student.'.

    Returns:
        OrderedDict: the state dict of the stock student model.
    """
    state_dict = extract_state_dict(checkpoint)
    student = OrderedDict((k[len(prefix):], v) for k, v in state_dict.items()
                          if k.startswith(prefix))
    if not student:
        raise ValueError(f'the checkpoint has no key starting with {prefix!r}; it was not '
                         f'written by a distiller (first keys: {list(state_dict)[:5]})')
    return student
