"""Mean +- standard deviation over seeds and markdown tables, as the experiment drivers print."""
import statistics
from typing import Iterable, Sequence, Tuple

__all__ = ['mean_spread', 'mean_std', 'markdown_row', 'markdown_header', 'markdown_table']


def mean_spread(values: Sequence[float]) -> Tuple[float, float]:
    """The mean and the sample standard deviation (0.0 for a single value)."""
    if not values:
        raise ValueError('mean_spread needs at least one value')
    spread = statistics.stdev(values) if len(values) > 1 else 0.0
    return statistics.fmean(values), spread


def mean_std(values: Sequence[float], digits: int = 2, signed: bool = False) -> str:
    """``'71.20 +- 0.35'``; a single value alone (``'71.20'``); ``signed`` puts a sign on the
    mean (``'+1.20 +- 0.35'``), as for a gain."""
    mean, spread = mean_spread(values)
    text = f'{mean:{"+" if signed else ""}.{digits}f}'
    return text if len(values) == 1 else f'{text} +- {spread:.{digits}f}'


def markdown_row(cells: Iterable) -> str:
    """``'| a | b |'``; cells are written with ``str``."""
    return '| ' + ' | '.join(str(cell) for cell in cells) + ' |'


def markdown_header(names: Sequence[str]) -> str:
    """The header row and the separator row of a table with these column names."""
    return markdown_row(names) + '\n' + '|---' * len(names) + '|'


def markdown_table(names: Sequence[str], rows: Iterable[Iterable]) -> str:
    """A markdown table: the header, the separator, one line per row."""
    return '\n'.join([markdown_header(names)] + [markdown_row(row) for row in rows])
