"""The command line shared by the checkpoint tools: arguments, safe loading, refusals."""
import argparse
import os.path as osp
import re
import subprocess
import sys

import pytest
import torch

from vkd_mm.utils import CheckpointNotTrustedError, checkpoint_tool_parser, load_tool_checkpoint
from .conftest import REPO_ROOT

TOOL = osp.join(REPO_ROOT, 'tools', 'export_student.py')


def parse(*argv: str) -> argparse.Namespace:
    return checkpoint_tool_parser('a checkpoint tool', 'input checkpoint').parse_args(argv)


def test_a_file_with_pickled_options_loads_only_with_the_opt_in(tmp_path):
    path = str(tmp_path / 'official.pth')
    weights = {'fc.weight': torch.randn(2, 4)}
    torch.save({'model': weights, 'args': argparse.Namespace(lr=0.1)}, path)
    with pytest.raises(CheckpointNotTrustedError, match='--trust-checkpoint'):
        load_tool_checkpoint(parse(path, 'out.pth'))
    args = parse(path, 'out.pth', '--trust-checkpoint')
    assert args.trust_checkpoint and args.out == 'out.pth'
    checkpoint = load_tool_checkpoint(args)
    assert checkpoint['args'].lr == 0.1
    assert torch.equal(checkpoint['model']['fc.weight'], weights['fc.weight'])


@pytest.mark.parametrize('content', [torch.zeros(3), [torch.zeros(3)]])
def test_a_file_that_is_no_dict_is_refused_by_name(tmp_path, content):
    path = str(tmp_path / 'tensor.pth')
    torch.save(content, path)
    refusal = re.escape(path) + f' holds a {type(content).__name__}, not a checkpoint dict'
    with pytest.raises(SystemExit, match=refusal):
        load_tool_checkpoint(parse(path, 'out.pth'))


def test_the_student_export_keeps_the_student_and_the_meta_data(tmp_path):
    source, target = str(tmp_path / 'distill.pth'), str(tmp_path / 'student.pth')
    student, teacher = torch.randn(2, 4), torch.randn(3, 4)
    state_dict = {'student.fc.weight': student, 'teacher.fc.weight': teacher}
    torch.save(dict(meta=dict(epoch=2), state_dict=state_dict), source)
    result = subprocess.run([sys.executable, TOOL, source, target],
                            capture_output=True,
                            text=True,
                            timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    assert f'wrote 1 student tensors to {target}' in result.stdout
    exported = torch.load(target, weights_only=True)
    assert exported['meta'] == {'epoch': 2}
    assert list(exported['state_dict']) == ['fc.weight']
    assert torch.equal(exported['state_dict']['fc.weight'], student)
