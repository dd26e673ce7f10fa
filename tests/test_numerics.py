"""vkd_mm.utils.numerics: the oneDNN switch, and portable numerics that no instruction-set cap
changes (one machine standing in for processors with other kernels)."""
import os
import subprocess
import sys

import pytest
import torch

from vkd_mm.utils import ONEDNN_VARIABLE, PORTABLE_CPU_NUMERICS, use_onednn_setting
from .conftest import REPO_ROOT

# a convolution (oneDNN), a GEMM (MKL) and vectorised ATen ops, forward and backward; prints a
# hash of the output and the gradients
PROBE = '''
import hashlib, torch
from vkd_mm.utils import use_onednn_setting
use_onednn_setting()
torch.manual_seed(0)
model = torch.nn.Sequential(
    torch.nn.Conv2d(3, 16, 3, padding=1), torch.nn.GELU(), torch.nn.Flatten(),
    torch.nn.Linear(16 * 16 * 16, 64), torch.nn.Softmax(-1))
out = model(torch.randn(4, 3, 16, 16))
out.pow(2).sum().backward()
digest = hashlib.sha256()
for tensor in [out, *(p.grad for p in model.parameters())]:
    digest.update(tensor.detach().numpy().tobytes())
print(digest.hexdigest())
'''
CAPS = dict(ONEDNN_MAX_CPU_ISA='SSE41', MKL_ENABLE_INSTRUCTIONS='SSE4_2')


@pytest.fixture
def onednn_restored():
    enabled = torch.backends.mkldnn.enabled
    yield
    torch.backends.mkldnn.enabled = enabled


def test_variable_switches_onednn_off(monkeypatch, onednn_restored):
    monkeypatch.setenv(ONEDNN_VARIABLE, '1')
    assert use_onednn_setting() is torch.backends.mkldnn.enabled
    monkeypatch.setenv(ONEDNN_VARIABLE, '0')
    assert use_onednn_setting() is False
    assert torch.backends.mkldnn.enabled is False


def test_unknown_value_names_the_variable_and_its_values(monkeypatch, onednn_restored):
    monkeypatch.setenv(ONEDNN_VARIABLE, 'off')
    with pytest.raises(ValueError, match=r"VKD_MM_ONEDNN='off': use 0 .* or 1"):
        use_onednn_setting()


def probe(env: dict) -> str:
    base = {k: v for k, v in os.environ.items() if k not in PORTABLE_CPU_NUMERICS and k not in CAPS}
    result = subprocess.run([sys.executable, '-c', PROBE],
                            env={
                                **base, 'PYTHONPATH': REPO_ROOT,
                                'OMP_NUM_THREADS': '1',
                                **env
                            },
                            capture_output=True,
                            text=True,
                            timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout.strip()


def test_portable_numerics_ignore_instruction_set_caps():
    """Capping oneDNN to SSE4.1 changes the default kernels' results (so the check is not
    vacuous); under the portable settings neither cap changes a bit."""
    assert probe({}) != probe(dict(ONEDNN_MAX_CPU_ISA='SSE41'))
    assert probe(PORTABLE_CPU_NUMERICS) == probe(dict(PORTABLE_CPU_NUMERICS, **CAPS))
