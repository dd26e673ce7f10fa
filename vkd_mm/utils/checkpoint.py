"""Checkpoint loading: safe by default, readable when a file is refused or is no checkpoint.

Policy: every checkpoint is loaded with ``torch.load(..., weights_only=True)``, so a file can
only rebuild tensors, containers and the few types allowed here; a pickle that would call any
other function (``os.system`` in a ``__reduce__``, say) is refused before anything runs. The
allowed types are those MMEngine 0.10.7 itself writes into a checkpoint, found by saving real
checkpoints with a Runner: the MessageHub's ``HistoryBuffer`` objects with their NumPy arrays,
dtypes and scalars, and the ``getattr(HistoryBuffer, 'mean')``-style references a buffer pickles
for its statistics methods (resolved by :func:`_history_buffer_method`, which gives nothing but
those methods, never Python's ``getattr``).

A file that needs more is refused with an error naming it and the opt-in: the config key
``trust_checkpoints = True`` (``--cfg-options trust_checkpoints=True`` for ``tools/train.py``
and ``tools/test.py``) or ``--trust-checkpoint`` for the export tools, which load it with
``weights_only=False``, i.e. run whatever code it carries. Trust only files you made.

The policy applies where it is installed: :func:`load_checkpoint_file` (teacher weights, the
export tools) uses it always; MMEngine's own loading (``resume``, ``load_from``) uses it once
:func:`use_checkpoint_policy` has registered it, which ``tools/train.py`` and ``tools/test.py``
do. Importing :mod:`vkd_mm` changes nothing.
"""
import os.path as osp
import pickle
import zipfile
from collections import OrderedDict
from typing import Any, Callable, Dict, List, Mapping, Optional

import numpy as np
import torch
from mmengine.logging import HistoryBuffer
from mmengine.runner.checkpoint import CheckpointLoader
from torch import nn

__all__ = [
    'TRUST_CHECKPOINTS_KEY', 'CheckpointNotTrustedError', 'NotACheckpointError',
    'checkpoint_safe_globals', 'load_checkpoint_file', 'use_checkpoint_policy',
    'extract_state_dict', 'load_state_dict_checked', 'load_checkpoint_checked',
    'export_student_state_dict'
]

TRUST_CHECKPOINTS_KEY = 'trust_checkpoints'  # the config key of the opt-in
_MAX_LISTED_KEYS = 10  # keys shown per category in a mismatch report
_trust_checkpoints: bool = False  # set by use_checkpoint_policy; False: weights_only loading
# the statistics methods every HistoryBuffer pickles (registered when the first buffer is made)
_HISTORY_BUFFER_METHODS = frozenset(('min', 'max', 'current', 'mean'))


class CheckpointNotTrustedError(pickle.UnpicklingError):
    """A checkpoint needs more than tensors and MMEngine's own types to load."""


class NotACheckpointError(ValueError):
    """A file is not a torch checkpoint (another format, or truncated)."""


def _history_buffer_method(owner: type, name: str) -> Callable:
    """What a pickled ``getattr(HistoryBuffer, name)`` may resolve to: a statistics method."""
    allowed = _HISTORY_BUFFER_METHODS | set(HistoryBuffer._statistics_methods)
    if owner is not HistoryBuffer or name not in allowed:
        raise pickle.UnpicklingError(
            f'getattr({owner!r}, {name!r}) is not allowed; only the statistics methods of '
            f'HistoryBuffer ({sorted(allowed)}) are')
    return getattr(HistoryBuffer, name)


def checkpoint_safe_globals() -> List[Any]:
    """The types allowed besides torch's defaults, for ``torch.serialization.safe_globals``."""
    multiarray = np.core.multiarray
    dtype_classes = [type(np.dtype(code)) for code in np.typecodes['All'] if code != 'O']
    return [
        HistoryBuffer, np.ndarray, np.dtype, multiarray._reconstruct, multiarray.scalar,
        *dtype_classes, (_history_buffer_method, 'builtins.getattr')
    ]


def _check_is_checkpoint(filename: str) -> None:
    """Refuse a file that is neither a torch zip archive nor a (legacy) pickle."""
    with open(filename, 'rb') as file:
        head = file.read(2)
    if zipfile.is_zipfile(filename) or head[:1] == b'\x80':
        return
    raise NotACheckpointError(
        f'{filename} is not a checkpoint: it is neither a torch zip archive nor a pickle '
        f'(it starts with {head!r}; a file cut short while it was written, or another format)')


def _refusal_reason(message: str) -> str:
    """The line of torch's weights-only error that says what was refused."""
    boilerplate = ('Weights only load failed', 'Please file an issue', 'Check the documentation')
    lines = [line.replace('WeightsUnpickler error:', '').strip() for line in message.splitlines()]
    reasons = [line for line in lines if line and not line.startswith(boilerplate)]
    return reasons[0] if reasons else lines[0]


def load_checkpoint_file(filename: str,
                         map_location: Any = None,
                         trust: Optional[bool] = None) -> Any:
    """Load a local checkpoint under the loading policy of this module.

    Args:
        filename (str): path of the file (``~`` is expanded).
        map_location: as for ``torch.load``.
        trust (bool, optional): load with ``weights_only=False``. Default: None, the policy
            set by :func:`use_checkpoint_policy` (safe unless it was given ``trust=True``).

    Returns:
        The loaded object.

    Raises:
        FileNotFoundError: no such file.
        NotACheckpointError: the file is no torch checkpoint.
        CheckpointNotTrustedError: the file needs other types; the message names the opt-in.
    """
    filename = osp.expanduser(filename)
    if not osp.isfile(filename):
        raise FileNotFoundError(f'checkpoint {filename} can not be found')
    _check_is_checkpoint(filename)
    try:
        if _trust_checkpoints if trust is None else trust:
            return torch.load(filename, map_location=map_location, weights_only=False)
        with torch.serialization.safe_globals(checkpoint_safe_globals()):
            return torch.load(filename, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as error:
        reason = _refusal_reason(str(error))
        raise CheckpointNotTrustedError(
            f'{filename} was refused: it holds objects other than tensors and the MMEngine '
            f'types vkd_mm allows ({reason}). Loading it would run code that it carries. If '
            f'you made this file and trust it, set `{TRUST_CHECKPOINTS_KEY} = True` in the '
            f'config (tools/train.py and tools/test.py: --cfg-options '
            f'{TRUST_CHECKPOINTS_KEY}=True; the export tools: --trust-checkpoint).') from None
    except (RuntimeError, EOFError) as error:
        raise NotACheckpointError(f'{filename} is not a readable checkpoint (truncated, or '
                                  f'another format): {error}') from None


def _load_local(filename: str, map_location: Any = None) -> Any:
    """MMEngine's local-file scheme, under the policy (signature of ``load_from_local``)."""
    return load_checkpoint_file(filename, map_location=map_location)


def use_checkpoint_policy(trust: bool = False) -> None:
    """Install the checkpoint loading policy for this process.

    Registers :func:`load_checkpoint_file` as MMEngine's loader of local files, so that
    ``resume``, ``load_from`` and :func:`mmengine.runner.load_checkpoint` read MMEngine's own
    checkpoints with ``weights_only=True`` (torch's default refuses them) and report refused or
    broken files by name. ``tools/train.py`` and ``tools/test.py`` call it with the config's
    ``trust_checkpoints``.

    Args:
        trust (bool): load every checkpoint with ``weights_only=False`` (runs the code a file
            carries). Default: False.
    """
    global _trust_checkpoints
    _trust_checkpoints = bool(trust)
    CheckpointLoader.register_scheme(prefixes='', loader=_load_local, force=True)


def extract_state_dict(checkpoint: Mapping) -> 'OrderedDict[str, torch.Tensor]':
    """The model weights of a checkpoint in any of the usual layouts.

    Accepts MMEngine checkpoints (``state_dict``), official research checkpoints (``model``,
    ``student``) and bare state dicts, and drops a ``module.`` prefix left by DDP.
    """
    for key in ('state_dict', 'model', 'student'):
        if key in checkpoint and isinstance(checkpoint[key], Mapping):
            checkpoint = checkpoint[key]
            break
    return OrderedDict(
        (k[len('module.'):] if k.startswith('module.') else k, v) for k, v in checkpoint.items())


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
    mismatched = [
        f'{k} {tuple(state_dict[k].shape)} vs {tuple(own[k].shape)}' for k in own
        if k in state_dict and state_dict[k].shape != own[k].shape
    ]
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
    compatible = {k: v for k, v in state_dict.items() if k in own and v.shape == own[k].shape}
    model.load_state_dict(compatible, strict=False)
    return report


def load_checkpoint_checked(model: nn.Module,
                            filename: str,
                            strict: bool = True,
                            role: str = 'model') -> Dict[str, List[str]]:
    """Read a checkpoint file in any layout :func:`extract_state_dict` knows and load it with
    :func:`load_state_dict_checked`. A local file is read by :func:`load_checkpoint_file`
    (``weights_only=True`` unless the policy trusts checkpoints)."""
    if osp.isfile(osp.expanduser(filename)):
        checkpoint = load_checkpoint_file(filename, map_location='cpu')
    else:  # URLs and the other schemes MMEngine knows
        checkpoint = CheckpointLoader.load_checkpoint(filename, map_location='cpu')
    return load_state_dict_checked(
        model,
        extract_state_dict(checkpoint),
        strict=strict,
        source=f'{role} checkpoint {filename}',
        role=role)


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
    student = OrderedDict(
        (k[len(prefix):], v) for k, v in state_dict.items() if k.startswith(prefix))
    if not student:
        raise ValueError(f'the checkpoint has no key starting with {prefix!r}; it was not '
                         f'written by a distiller (first keys: {list(state_dict)[:5]})')
    return student
