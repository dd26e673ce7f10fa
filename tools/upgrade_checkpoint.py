"""Rename the keys of vkd_mm checkpoints written by earlier layouts of its models.

- :class:`~vkd_mm.models.VkDDistiller`: ``projectors.<pair>.*``, ``teacher_norms.<pair>.*``,
  ``student_norms.<pair>.*``, ``distill_losses.<pair>.*`` and ``logit_losses.<pair>.*`` become
  ``pairs.<pair>.projector.*``, ``.teacher_norm.*``, ``.student_norm.*`` and ``.loss.*``.
- ``VkDBigGAN``: ``teacher_norm.*`` and ``kd_loss.*`` become ``vkd_pair.teacher_norm.*`` and
  ``vkd_pair.loss.*``.

Both the model weights (``state_dict``) and the EMA weights (``ema_state_dict``, keys under
``module.``) are renamed; everything else in the file is copied as it is. The result loads with
``load_from`` or ``teacher_ckpt``; the optimiser state is copied, not converted, so resume a run
from the original file with the code that wrote it.

Usage: python tools/upgrade_checkpoint.py IN_FILE OUT_FILE [--trust-checkpoint]
"""
from collections import OrderedDict
from typing import Mapping, Tuple

import torch

from vkd_mm.utils import checkpoint_tool_parser, load_tool_checkpoint

# VkDDistiller: the container of each component of a pair -> its name inside the pair module
PAIR_CONTAINERS = {
    'projectors': 'projector',
    'teacher_norms': 'teacher_norm',
    'student_norms': 'student_norm',
    'distill_losses': 'loss',
    'logit_losses': 'loss'
}
# VkDBigGAN: the V_kD components -> their place in the GAN's pair module
GAN_COMPONENTS = {'teacher_norm.': 'vkd_pair.teacher_norm.', 'kd_loss.': 'vkd_pair.loss.'}
STATE_DICTS = ('state_dict', 'ema_state_dict')


def upgrade_key(key: str) -> str:
    """The current name of one key (unchanged when it is current already)."""
    prefix = 'module.' if key.startswith('module.') else ''
    body = key[len(prefix):]
    head, _, rest = body.partition('.')
    if head in PAIR_CONTAINERS and '.' in rest:
        pair, _, tail = rest.partition('.')
        return f'{prefix}pairs.{pair}.{PAIR_CONTAINERS[head]}.{tail}'
    for old, new in GAN_COMPONENTS.items():
        if body.startswith(old):
            return prefix + new + body[len(old):]
    return key


def upgrade_state_dict(state_dict: Mapping) -> Tuple['OrderedDict[str, torch.Tensor]', int]:
    """The state dict with every key renamed, and the number of keys that changed."""
    upgraded = OrderedDict((upgrade_key(key), value) for key, value in state_dict.items())
    if len(upgraded) != len(state_dict):
        raise ValueError('the checkpoint holds a key in both its old and its current form; '
                         'it is not a checkpoint of one layout')
    return upgraded, sum(old != new for old, new in zip(state_dict, upgraded))


def main():
    args = checkpoint_tool_parser('Rename the keys of an older vkd_mm checkpoint',
                                  'checkpoint to upgrade').parse_args()
    checkpoint = load_tool_checkpoint(args)
    layouts = [key for key in STATE_DICTS if isinstance(checkpoint.get(key), Mapping)]
    checkpoint = dict(checkpoint)
    renamed = 0
    if layouts:
        for key in layouts:
            checkpoint[key], count = upgrade_state_dict(checkpoint[key])
            renamed += count
    else:  # a bare state dict
        checkpoint, renamed = upgrade_state_dict(checkpoint)
    torch.save(checkpoint, args.out)
    print(f'renamed {renamed} keys; wrote {args.out}')


if __name__ == '__main__':
    main()
