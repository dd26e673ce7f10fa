"""Progress lines of an experiment: numbered steps with the elapsed time, and where a child
training or test run has got to, read from its log."""
import re
import time
from typing import Optional

__all__ = ['Progress', 'log_progress']

TRAIN_LINE = re.compile(r'Epoch\(train\)\s+\[(\d+)\]\[\s*(\d+)/(\d+)\].*?eta: (\S+)')
ITER_LINE = re.compile(r'Iter\(train\)\s+\[\s*(\d+)/(\d+)\].*?eta: (\S+)')
TEST_LINE = re.compile(r'Epoch\(test\)\s+\[\s*(\d+)/(\d+)\]')


class Progress:
    """Prints ``[3/12] vit/vkd/0 (elapsed 4.1 min)`` lines for an experiment of ``total`` steps.

    Args:
        total: how many steps the experiment has.
        start: when it started (``time.time()``); default now.
    """

    def __init__(self, total: int, start: Optional[float] = None) -> None:
        self.total = total
        self.start = time.time() if start is None else start
        self.done = 0

    def line(self, title: str, index: Optional[int] = None) -> str:
        """The line of step ``index`` (1-based; default the one after the last)."""
        minutes = (time.time() - self.start) / 60
        return f'[{index}/{self.total}] {title} (elapsed {minutes:.1f} min)'

    def step(self, title: str, index: Optional[int] = None) -> None:
        """Print the line of step ``index`` (default: the next one)."""
        self.done = self.done + 1 if index is None else index
        print(self.line(title, self.done), flush=True)


def log_progress(text: str) -> str:
    """Where the run whose MMEngine log is ``text`` has got to: ``'epoch 2, iteration 20/50,
    ETA 0:02:58'``, ``'iteration 20/50, ETA ...'`` or ``'evaluating: 10/25 batches'``; ``''``
    before the first progress line."""
    train, iters, test = (pattern.findall(text) for pattern in (TRAIN_LINE, ITER_LINE, TEST_LINE))
    last_train = max(text.rfind('Epoch(train)'), text.rfind('Iter(train)'))
    if test and text.rfind('Epoch(test)') > last_train:
        done, total = test[-1]
        return f'evaluating: {done}/{total} batches'
    if train and text.rfind('Epoch(train)') == last_train:
        epoch, done, total, eta = train[-1]
        return f'epoch {epoch}, iteration {done}/{total}, ETA {eta}'
    if iters:
        done, total, eta = iters[-1]
        return f'iteration {done}/{total}, ETA {eta}'
    return ''
