"""The metrics of an evaluation, read back from what MMEngine writes."""
import json
import os.path as osp
import re
from typing import Dict

__all__ = ['read_metrics']

# ``accuracy/top1: 71.2000`` in the summary line of an evaluation; not ``eta: 0:01:02``
_PAIR = re.compile(r'([\w./@-]+): (-?\d+(?:\.\d*)?(?:[eE][-+]?\d+)?)(?=\s|$)')


def _is_metric(key: str) -> bool:
    return '/' in key  # evaluators name their metrics 'prefix/name' (accuracy/top1, coco/bbox_mAP)


def read_metrics(source: str) -> Dict[str, float]:
    """The metrics of the last evaluation in ``source``.

    ``source`` is a log file (or its text) as MMEngine writes it, whose evaluation summary is a
    line ``Epoch(test) [25/25]    coco/bbox_mAP: 0.1230  coco/bbox_mAP_50: ...`` (also
    ``Epoch(val)``), or a JSON-lines file as MMEngine writes beside it (``<timestamp>.json`` of a
    test run, ``vis_data/scalars.json`` of a training run). Only metric keys (``prefix/name``)
    are returned.

    Raises:
        ValueError: ``source`` holds no evaluation result.
    """
    is_file = '\n' not in source and osp.isfile(source)
    text = source
    if is_file:
        with open(source) as file:
            text = file.read()
    if is_file and source.endswith('.json'):
        for line in reversed(text.splitlines()):
            record = json.loads(line) if line.strip() else {}
            metrics = {k: float(v) for k, v in record.items() if _is_metric(k)}
            if metrics:
                return metrics
    else:
        for line in reversed(text.splitlines()):
            if 'Epoch(test)' in line or 'Epoch(val)' in line:
                metrics = {k: float(v) for k, v in _PAIR.findall(line) if _is_metric(k)}
                if metrics:
                    return metrics
    where = source if is_file else 'the text given'
    raise ValueError(f'no evaluation metrics (an Epoch(test) or Epoch(val) summary line, or a '
                     f'JSON record with prefix/name keys) in {where}; did the run evaluate?')
