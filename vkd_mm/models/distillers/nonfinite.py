"""Tracing a NaN or infinite distillation term back to where it first appeared."""
from typing import Dict, Mapping, Optional

import torch

from .distill_pair import DistillPair

__all__ = ['describe_nonfinite_term']


def describe_nonfinite_term(pairs: Mapping[str, DistillPair], losses: Dict[str, torch.Tensor],
                            inputs, student_feats: Dict[str, torch.Tensor],
                            teacher_feats: Dict[str, torch.Tensor]) -> Optional[str]:
    """None when every term is finite; else a message naming the first non-finite term's pair,
    the side (student or teacher) and the first non-finite tensor on the way to the loss (the
    recorded feature, the projected or normalised one), and whether the batch is finite.

    Args:
        pairs (Mapping[str, DistillPair]): the distiller's pairs, name -> pair.
        losses (dict): :attr:`DistillPair.loss_key` -> scalar term.
        inputs: the batch inputs (a tensor is checked too).
        student_feats (dict): pair name -> recorded student feature.
        teacher_feats (dict): pair name -> recorded teacher feature.
    """
    if not losses:
        return None
    # NOTE one device sync per step for all pairs together
    values = torch.stack([v.detach().float().sum() for v in losses.values()])
    if bool(torch.isfinite(values).all()):
        return None
    key = next(k for k, v in losses.items() if not torch.isfinite(v).all())
    pair = next(p for p in pairs.values() if p.loss_key == key)
    stages = pair.stages(student_feats[pair.name], teacher_feats[pair.name])
    side, where, tensor = next((stage for stage in stages if not torch.isfinite(stage[2]).all()),
                               ('', '', None))
    if tensor is None:
        found = 'every input of the term is finite: the loss itself overflowed'
    else:
        bad = int((~torch.isfinite(tensor)).sum())
        found = (f'the first non-finite input is the {side} side: {where} '
                 f'({bad} of {tensor.numel()} values)')
    if isinstance(inputs, torch.Tensor):
        bad_inputs = int((~torch.isfinite(inputs.float())).sum())
        found += (f'; the batch inputs hold {bad_inputs} non-finite values'
                  if bad_inputs else '; the batch inputs are finite')
    return f'distill pair {pair.name!r}: {key} is {losses[key].item()}; {found}'
