"""The one place that builds, freezes and sets the precision of a distillation teacher."""
import contextlib
import warnings
from typing import ContextManager, Dict, Optional, Union

import torch
from torch import nn

from vkd_mm.registry import MODELS
from vkd_mm.utils import load_config

__all__ = [
    'build_teacher', 'freeze_teacher', 'check_teacher_dtype', 'teacher_precision', 'TEACHER_DTYPES'
]

# the names `teacher_dtype` takes -> the dtype the teacher's forward computes in
TEACHER_DTYPES: Dict[str, torch.dtype] = {
    'fp32': torch.float32,
    'bf16': torch.bfloat16,
    'fp16': torch.float16,
}


def build_teacher(teacher: Optional[Union[dict, str]], owner: str) -> nn.Module:
    """Build a teacher from a model config, or from the ``model`` of a config file.

    Args:
        teacher (dict | str): a model config, or a config file path (or package config such as
            ``'mmpretrain::resnet/resnet50_8xb32_in1k.py'``) whose ``model`` is the teacher.
        owner (str): the model that needs the teacher, named in the error for a missing one.
    """
    if teacher is None:
        raise ValueError(f'{owner} needs a teacher: a model config dict or the path of a config '
                         'file whose `model` is the teacher')
    if isinstance(teacher, str):
        teacher = load_config(teacher)['model']
    return MODELS.build(teacher)


def freeze_teacher(teacher: nn.Module) -> nn.Module:
    """Turn off the gradients of ``teacher`` and put it in eval mode; returns it.

    The owner of a frozen teacher keeps it in eval mode by calling ``teacher.eval()`` in its own
    ``train()``, since ``Module.train`` sets every child's mode.
    """
    teacher.requires_grad_(False)
    return teacher.eval()


def check_teacher_dtype(teacher_dtype: Optional[str]) -> None:
    """Raise a ValueError naming the choices when ``teacher_dtype`` is not one of them."""
    if teacher_dtype is not None and teacher_dtype not in TEACHER_DTYPES:
        raise ValueError(f'teacher_dtype must be None or one of {sorted(TEACHER_DTYPES)}, got '
                         f'{teacher_dtype!r}')


def teacher_precision(teacher_dtype: Optional[str], device: torch.device) -> ContextManager:
    """The context the frozen teacher's forward runs in.

    None leaves the surrounding context as it is (the student's AMP, if any, also covers the
    teacher); 'fp32' turns autocast off; 'bf16' and 'fp16' run the forward under autocast to
    that dtype. The teacher's weights are never cast: autocast casts the inputs of the ops on
    its lists (matrix products, convolutions) and keeps the precision-sensitive ones in fp32.

    Args:
        teacher_dtype (str, optional): None, 'fp32', 'bf16' or 'fp16'.
        device (torch.device): the device the teacher runs on.

    Raises:
        ValueError: an unknown name, or a device that cannot autocast to the dtype (no
            autocast for the device type, or a GPU without bf16).
    """
    check_teacher_dtype(teacher_dtype)
    if teacher_dtype is None:
        return contextlib.nullcontext()
    device_type = torch.device(device).type
    if not torch.amp.is_autocast_available(device_type):
        raise ValueError(f'teacher_dtype={teacher_dtype!r}: torch {torch.__version__} has no '
                         f'autocast for {device_type!r} devices; set teacher_dtype=None')
    if teacher_dtype == 'fp32':
        return torch.autocast(device_type, enabled=False)
    if (device_type == 'cuda' and teacher_dtype == 'bf16'
            and not torch.cuda.is_bf16_supported(including_emulation=False)):
        raise ValueError(f"teacher_dtype='bf16': {torch.cuda.get_device_name(device)} has no "
                         "bfloat16 arithmetic; use teacher_dtype='fp16' or None")
    if device_type == 'cpu' and teacher_dtype == 'fp16':
        warnings.warn("teacher_dtype='fp16' on the CPU: CPUs without fp16 arithmetic run it many "
                      'times slower than fp32 (the DeiT-Ti <- RegNetY-160 step took 15x as long on '
                      "an AMD EPYC); 'bf16' is the CPU's reduced precision")
    dtype = TEACHER_DTYPES[teacher_dtype]
    # NOTE torch turns autocast off with a warning for a dtype a device type cannot do
    with warnings.catch_warnings():
        warnings.simplefilter('error')
        try:
            return torch.autocast(device_type, dtype=dtype)
        except UserWarning as warning:
            raise ValueError(f'teacher_dtype={teacher_dtype!r}: torch {torch.__version__} cannot '
                             f'autocast {device_type!r} devices to {dtype} ({warning}); set '
                             "teacher_dtype=None or 'fp32'") from None
