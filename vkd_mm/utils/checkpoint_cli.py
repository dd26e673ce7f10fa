"""The command line of the tools that read one checkpoint and write another file from it.

``tools/export_student.py``, ``tools/export_generator.py``, ``tools/upgrade_checkpoint.py``,
``tools/convert_vidt_checkpoint.py`` and ``tools/convert_cifar_checkpoint.py`` take
``CHECKPOINT OUT [--trust-checkpoint]`` (the CIFAR converter a config after them) and read the
checkpoint under the loading policy of :mod:`vkd_mm.utils.checkpoint`: ``weights_only=True``
unless ``--trust-checkpoint`` is given. ``tools/analysis/feature_similarity.py`` takes the
same opt-in for its ``--checkpoint``.
"""
import argparse
from typing import Mapping

from .checkpoint import load_checkpoint_file

__all__ = ['add_trust_checkpoint_argument', 'checkpoint_tool_parser', 'load_tool_checkpoint']


def add_trust_checkpoint_argument(parser: argparse.ArgumentParser) -> None:
    """Add the ``--trust-checkpoint`` opt-in (``args.trust_checkpoint``) to a parser."""
    parser.add_argument(
        '--trust-checkpoint',
        action='store_true',
        help='load with weights_only=False (runs code the file may carry; only for files you '
        'made)')


def checkpoint_tool_parser(description: str,
                           checkpoint_help: str,
                           out_help: str = 'output file') -> argparse.ArgumentParser:
    """A parser of ``CHECKPOINT OUT [--trust-checkpoint]``.

    Args:
        description (str): what the tool does, for ``--help``.
        checkpoint_help (str): what the input checkpoint is.
        out_help (str): what the output file is. Default: 'output file'.

    Returns:
        argparse.ArgumentParser: fills ``checkpoint``, ``out`` and ``trust_checkpoint``; a tool
        may add its own arguments before parsing.
    """
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument('checkpoint', help=checkpoint_help)
    parser.add_argument('out', help=out_help)
    add_trust_checkpoint_argument(parser)
    return parser


def load_tool_checkpoint(args: argparse.Namespace) -> Mapping:
    """The checkpoint named by ``args.checkpoint``, loaded on the CPU.

    Args:
        args (argparse.Namespace): with ``checkpoint`` and ``trust_checkpoint``, e.g. parsed by a
            :func:`checkpoint_tool_parser`.

    Returns:
        Mapping: a checkpoint dict or a bare state dict.

    Raises:
        SystemExit: the file holds something other than a dict (a tensor, a list).
    """
    checkpoint = load_checkpoint_file(
        args.checkpoint, map_location='cpu', trust=args.trust_checkpoint)
    if not isinstance(checkpoint, Mapping):
        raise SystemExit(f'{args.checkpoint} holds a {type(checkpoint).__name__}, not a '
                         'checkpoint dict or a state dict')
    return checkpoint
