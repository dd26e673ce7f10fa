"""Wall-clock medians of several variants of a step, interleaved so that a change of machine
load during the measurement falls on every variant alike."""
import statistics
import time
from typing import Callable, Dict, List

import torch

__all__ = ['SLOW_SECONDS', 'time_once', 'interleaved_medians']

SLOW_SECONDS = 2.0  # a variant slower than this runs once per round for at most 2 rounds


def time_once(fn: Callable[[], None]) -> float:
    """Seconds one call of ``fn`` takes (CUDA work included)."""
    start = time.perf_counter()
    fn()
    if torch.cuda.is_initialized():
        torch.cuda.synchronize()
    return time.perf_counter() - start


def interleaved_medians(steps: Dict[str, Callable[[], None]], rounds: int) -> Dict[str, float]:
    """Median seconds per variant, running the variants in turn, round after round."""
    times: Dict[str, List[float]] = {name: [] for name in steps}
    for name, step in steps.items():
        times[name].append(time_once(step))  # warm-up, also tells slow variants apart
    slow = {name for name, t in times.items() if t[0] > SLOW_SECONDS}
    times = {name: ([t[0]] if name in slow else []) for name, t in times.items()}
    for round_index in range(rounds):
        for name, step in steps.items():
            if name in slow and len(times[name]) >= 2:
                continue
            times[name].append(time_once(step))
    return {name: statistics.median(t) for name, t in times.items()}
