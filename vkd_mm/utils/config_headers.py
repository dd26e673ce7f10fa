"""The config header convention of docs/config_headers.md: read a config's ``# paper:`` lines
and name what a header lacks.

A header is a config's leading block of comment lines. When it names a table of the V_kD paper,
it holds a line ``# paper: Table <N>, <row>, <metric> <figure>`` for every table it names and a
line ``# differs: ...``. ``tests/test_config_headers.py`` checks every config with
:func:`header_problems`; ``tools/misc/make_metafiles.py`` turns the figures into metafile
results with :func:`paper_lines`.

This module imports nothing but the standard library, so that the metafile tool can load it by
its path without importing torch or the OpenMMLab libraries.
"""
import re
from typing import Iterator, List, Set, Tuple

__all__ = ['NUMBER', 'NOT_READ', 'header_lines', 'named_tables', 'paper_lines', 'header_problems']

#: a number standing alone (not the 1 of "top-1" or the 4 of "resnet8x4")
NUMBER = r'(?<![\w.-])\d+(?:\.\d+)?(?![\w-]|\.\d)'
#: the words saying that a figure was not read
NOT_READ = re.compile(r'\bunknown\b|\bnot (?:read|transcribed)\b')

_PAPER_LINE = re.compile(r'^# paper: Table (\d+), (.+)$')
_DIFFERS_LINE = re.compile(r'^# differs: \S')
_NAMED_TABLES = re.compile(r'\bTables? (\d+(?:\s*(?:-|/|,|and)\s*\d+)*)')
_FIGURE = re.compile(rf'{NUMBER}|{NOT_READ.pattern}')


def header_lines(text: str) -> List[str]:
    """The leading comment lines of a config file, stripped of trailing spaces."""
    lines = []
    for line in text.splitlines():
        if not line.startswith('#'):
            break
        lines.append(line.rstrip())
    return lines


def named_tables(lines: List[str]) -> Set[int]:
    """The table numbers a header names: 'Table 3' -> {3}, 'Tables 4-5' -> {4, 5}."""
    tables = set()
    for match in _NAMED_TABLES.finditer('\n'.join(lines)):
        numbers = [int(n) for n in re.findall(r'\d+', match.group(1))]
        if re.fullmatch(r'\d+\s*-\s*\d+', match.group(1)):
            numbers = list(range(numbers[0], numbers[1] + 1))
        tables.update(numbers)
    return tables


def paper_lines(lines: List[str]) -> Iterator[Tuple[str, int, str]]:
    """The ``# paper: Table <N>, <row>, <metric> <figure>`` lines of a header.

    Yields:
        tuple: the line, its table number N and its last comma-separated field (the metric
        and the figure, or the words saying the figure was not read), unstripped.
    """
    for line in lines:
        match = _PAPER_LINE.match(line)
        if match:
            yield line, int(match.group(1)), match.group(2).rsplit(',', 1)[-1]


def header_problems(text: str) -> List[str]:
    """What the header of a config's text lacks under the convention; empty when it complies."""
    lines = header_lines(text)
    tables = named_tables(lines)
    if not tables:
        return []
    problems = []
    with_line = set()
    for line, table, figure_field in paper_lines(lines):
        with_line.add(table)
        if not _FIGURE.search(figure_field):
            problems.append(f'{line!r} ends in no figure: end it with "<metric> <figure>" or '
                            '"<metric> figure unknown (<why>)"')
    for table in sorted(tables - with_line):
        problems.append(f'the header names Table {table} but has no line '
                        f'"# paper: Table {table}, <row>, <metric> <figure>"')
    if not any(_DIFFERS_LINE.match(line) for line in lines):
        problems.append('the header names a paper table but has no line "# differs: <what '
                        'differs from the paper or the official setting, or nothing known>"')
    return problems
