"""CPU numerics that repeat bitwise across x86 processors: the settings and their installer.

A CPU run's rounding depends on which kernels compute it, and three libraries under torch pick
kernels by processor: ATen (its vectorised ops, by instruction set: ``ATEN_CPU_CAPABILITY``
caps it), MKL (GEMM, by instruction set, vendor and cache sizes: its conditional numerical
reproducibility, ``MKL_CBWR=COMPATIBLE``, fixes one code path for Intel and compatible
processors) and oneDNN (convolutions, by instruction set, vendor and cache sizes, with no such
mode: it is switched off, and torch convolves through its own im2col + MKL GEMM). With one
thread per process the summation order is then fixed too.

torch reads no variable for oneDNN, so ``VKD_MM_ONEDNN=0`` is read by
:func:`use_onednn_setting`, which tools/train.py, tools/test.py and the in-process drivers call
(:func:`vkd_mm.experiments.prepare_training`); importing vkd_mm does not.
"""
import os

import torch

__all__ = ['PORTABLE_CPU_NUMERICS', 'ONEDNN_VARIABLE', 'use_onednn_setting']

ONEDNN_VARIABLE = 'VKD_MM_ONEDNN'

PORTABLE_CPU_NUMERICS = {
    'OMP_NUM_THREADS': '1',
    'MKL_NUM_THREADS': '1',
    'MKL_CBWR': 'COMPATIBLE',
    'ATEN_CPU_CAPABILITY': 'avx2',
    ONEDNN_VARIABLE: '0',
    'PYTHONHASHSEED': '0',
}


def use_onednn_setting() -> bool:
    """Switch torch's oneDNN (mkldnn) kernels off when ``VKD_MM_ONEDNN=0``; return whether
    they are on. Any other value, or none, leaves torch's setting as it is.

    Raises:
        ValueError: ``VKD_MM_ONEDNN`` is set to something other than ``0`` or ``1``.
    """
    value = os.environ.get(ONEDNN_VARIABLE)
    if value not in (None, '', '0', '1'):
        raise ValueError(f'{ONEDNN_VARIABLE}={value!r}: use 0 (oneDNN off, for numerics that '
                         'repeat across processors) or 1 (torch\'s default)')
    if value == '0':
        torch.backends.mkldnn.enabled = False
    return torch.backends.mkldnn.enabled
