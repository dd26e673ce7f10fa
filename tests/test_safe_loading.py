"""Checkpoints load with weights_only=True: MMEngine's own types are allowed, code is not."""
import os
import os.path as osp
import subprocess
import sys

import numpy as np
import pytest
import torch
from mmengine.logging import HistoryBuffer, MessageHub
from mmengine.runner import load_checkpoint
from torch import nn

from vkd_mm.utils import (CheckpointNotTrustedError, load_checkpoint_checked, load_checkpoint_file,
                          use_checkpoint_policy)
from .conftest import REPO_ROOT, TOY_STUDENT_CONFIG


class Payload:
    """Unpickling this runs a shell command that creates ``marker``."""

    def __init__(self, marker: str) -> None:
        self.marker = marker

    def __reduce__(self):
        return os.system, (f'touch {self.marker}', )


@pytest.fixture
def malicious(tmp_path):
    """A checkpoint that looks like a model's weights and carries a payload."""
    marker = str(tmp_path / 'payload_ran')
    path = str(tmp_path / 'malicious.pth')
    model = nn.Linear(4, 2)
    torch.save({'state_dict': model.state_dict(), 'meta': {'note': Payload(marker)}}, path)
    return path, marker


def test_malicious_checkpoint_is_refused_and_runs_nothing(malicious):
    path, marker = malicious
    with pytest.raises(CheckpointNotTrustedError) as error:
        load_checkpoint_file(path)
    assert path in str(error.value) and 'trust_checkpoints = True' in str(error.value)
    assert 'posix.system' in str(error.value) or 'os.system' in str(error.value)
    assert not osp.exists(marker)


def test_mmengine_loading_under_the_policy_refuses_it(malicious):
    path, marker = malicious
    use_checkpoint_policy()
    with pytest.raises(CheckpointNotTrustedError, match='malicious.pth'):
        load_checkpoint(nn.Linear(4, 2), path)
    with pytest.raises(CheckpointNotTrustedError):
        load_checkpoint_checked(nn.Linear(4, 2), path, role='teacher')
    assert not osp.exists(marker)


def test_the_opt_in_trusts_the_file(malicious):
    path, marker = malicious
    load_checkpoint_file(path, trust=True)
    assert osp.exists(marker)  # the opt-in does what it says: it runs the file's code


def test_the_test_tool_refuses_it(malicious, toy_data_root, tmp_path):
    path, marker = malicious
    result = subprocess.run([
        sys.executable, 'tools/test.py', TOY_STUDENT_CONFIG, path, '--work-dir',
        str(tmp_path / 'test'), '--cfg-options',
        f'test_dataloader.dataset.data_root={toy_data_root}'
    ],
                            cwd=REPO_ROOT,
                            capture_output=True,
                            text=True,
                            timeout=300)
    assert result.returncode != 0
    assert 'CheckpointNotTrustedError' in result.stderr and path in result.stderr
    assert not osp.exists(marker)


def test_what_mmengine_writes_loads_safely(tmp_path):
    """MessageHub buffers (NumPy arrays, dtypes, scalars, their statistics methods) and NumPy
    values in the meta data, as MMEngine pickles them into every checkpoint."""
    hub = MessageHub('safe_loading_test')
    for step in range(3):
        hub.update_scalar('train/loss', 0.5 + step)
        hub.update_scalar('train/count', np.int64(step))
    hub.update_info('epoch_array', np.arange(4, dtype=np.int32))
    path = str(tmp_path / 'mmengine_like.pth')
    meta = dict(seed=np.int64(3), scale=np.float32(0.5), flags=np.zeros(2, dtype=bool))
    torch.save(
        {
            'meta': meta,
            'state_dict': nn.Linear(2, 2).state_dict(),
            'message_hub': hub.state_dict()
        }, path)
    with pytest.raises(Exception, match='weights_only'):
        torch.load(path)  # torch's own default refuses it
    checkpoint = load_checkpoint_file(path)
    buffer = checkpoint['message_hub']['log_scalars']['train/loss']
    assert isinstance(buffer, HistoryBuffer) and buffer.mean() == 1.5 and buffer.max() == 2.5
    assert checkpoint['meta']['seed'] == 3 and checkpoint['meta']['flags'].dtype == bool
    restored = MessageHub('safe_loading_restored')
    restored.load_state_dict(checkpoint['message_hub'])
    assert restored.get_scalar('train/loss').current() == 2.5


def test_only_history_buffer_methods_resolve_through_getattr(tmp_path):
    """Pickle's getattr is not handed out: a file asking getattr for anything but the
    statistics methods of HistoryBuffer is refused."""

    class Sneaky:

        def __reduce__(self):
            return getattr, (HistoryBuffer, '__init__')

    path = str(tmp_path / 'sneaky.pth')
    torch.save({'x': Sneaky()}, path)
    with pytest.raises(CheckpointNotTrustedError, match="getattr"):
        load_checkpoint_file(path)


def test_importing_vkd_mm_changes_no_loader():
    code = ('import vkd_mm; from mmengine.runner.checkpoint import CheckpointLoader; '
            'print(CheckpointLoader._get_checkpoint_loader("a.pth").__module__)')
    result = subprocess.run([sys.executable, '-c', code],
                            cwd=REPO_ROOT,
                            capture_output=True,
                            text=True,
                            timeout=300)
    assert result.stdout.strip() == 'mmengine.runner.checkpoint', result.stderr[-2000:]
