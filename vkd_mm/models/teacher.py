"""The one place that builds and freezes a distillation teacher."""
from typing import Optional, Union

from torch import nn

from vkd_mm.registry import MODELS
from vkd_mm.utils import load_config

__all__ = ['build_teacher', 'freeze_teacher']


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
