"""Every config whose header names a table of the V_kD paper says the figure and what differs.

The convention (docs/config_headers.md): a config's header is its leading block of comment
lines. When the header names a paper table ("Table 2", "Tables 4-5"), it holds, for every table
it names, a line

    # paper: Table <N>, <row>, <metric> <figure>

whose last comma-separated field has the figure as a number (``AP 43.0``, ``top-1 78.3``,
``AP 48.5 (47.5 without)``) or says that it was not read (``figure unknown (<why>)``, ``not
read``, ``not transcribed``), and at least one line

    # differs: <what differs from the paper's or the official setting, or 'nothing known'>
"""
import glob
import os.path as osp

import pytest

from vkd_mm.utils.config_headers import header_lines, header_problems, named_tables
from .conftest import REPO_ROOT

CONFIGS = sorted(
    p for p in glob.glob(osp.join(REPO_ROOT, 'configs/**/*.py'), recursive=True)
    if '_base_' not in osp.relpath(p, REPO_ROOT).split(osp.sep))


def read(path: str) -> str:
    with open(path, encoding='utf-8') as f:
        return f.read()


@pytest.mark.parametrize('path', CONFIGS, ids=lambda p: osp.relpath(p, REPO_ROOT))
def test_header_names_figure_and_differences(path):
    problems = header_problems(read(path))
    assert not problems, (f'{osp.relpath(path, REPO_ROOT)} (see docs/config_headers.md):\n  ' +
                          '\n  '.join(problems))


def test_the_configs_name_paper_tables():
    """The check has something to check: the detection and DeiT configs name their tables."""
    naming = [p for p in CONFIGS if named_tables(header_lines(read(p)))]
    folders = {osp.relpath(p, REPO_ROOT).split(osp.sep)[1] for p in naming}
    assert {'deit', 'vidt', 'vidt_swin_nano_vkd.py'} <= folders


COMPLIANT = """\
# V_kD ViDT Swin-nano <- ViDT Swin-base on COCO.
# paper: Table 2, Swin-nano, V_kD, AP 43.0
# paper: Table 3, Swin-nano <- Swin-small (150 e), V_kD, AP figure unknown (not read)
# differs: 8 x 2 images per step (official 6 x 2)
_base_ = ['./x.py']
"""


@pytest.mark.parametrize(
    'text, expected',
    [
        (COMPLIANT, []),
        # no table named: nothing required
        ('# A toy config.\n_base_ = []\n', []),
        # a table in the body is not the header's
        ('# A toy config.\nx = 1\n# Table 2\n', []),
        ('# paper: Table 6, DeiT-Ti linear + none, top-1\n# differs: nothing known\n',
         ['ends in no figure']),
        ('# paper: Table 7, resnet32x4 -> resnet8x4, V_kD\n# differs: nothing known\n',
         ['ends in no figure']),
        ('# paper: Table 9, CIFAR-10 10 %, whitening, P/R/density/coverage: not transcribed\n'
         '# differs: nothing known\n', []),
        ('# paper: Table 7, VGG13 -> VGG8, V_kD top-1 not read (paper unreachable here)\n'
         '# differs: nothing known\n', []),
        ('# The rows of Tables 4-5.\n# paper: Table 4, CIFAR-10 10 %, V_kD, FID 12.5\n'
         '# differs: nothing known\n', ['names Table 5']),
        ('# paper: Table 1, DeiT-Ti, V_kD, top-1 78.3\n', ['no line "# differs']),
        ('# paper Table 2 (40.4 -> 43.0 AP); differs: 8 x 2 images\n',
         ['names Table 2', 'no line "# differs']),
    ])
def test_header_problems(text, expected):
    problems = header_problems(text)
    assert len(problems) == len(expected), problems
    for problem, fragment in zip(problems, expected):
        assert fragment in problem
