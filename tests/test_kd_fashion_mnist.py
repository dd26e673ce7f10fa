"""Fashion-MNIST: the idx reader, the dataset's split choice, the configs, the benchmark's --quick.

The reader tests write tiny idx files of their own; the tests on the real data skip when
Debian's ``dataset-fashion-mnist`` is not installed.
"""
import copy
import glob
import gzip
import json
import os
import os.path as osp
import runpy
import subprocess
import sys

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.registry import DefaultScope

from vkd_mm.datasets.fashion_mnist_files import (FASHION_MNIST_APT, FASHION_MNIST_ROOT,
                                                 load_fashion_mnist, missing_fashion_mnist_files,
                                                 read_idx)
from vkd_mm.experiments.run_store import claim_run, store_result
from .conftest import REPO_ROOT

pytest.importorskip('mmpretrain')

REAL_DATA = not missing_fashion_mnist_files(FASHION_MNIST_ROOT)
needs_real_data = pytest.mark.skipif(
    not REAL_DATA,
    reason=f'Fashion-MNIST is not installed in {FASHION_MNIST_ROOT} '
    f'(`{FASHION_MNIST_APT}`)')
CONFIGS = sorted(glob.glob(osp.join(REPO_ROOT, 'configs/fashion_mnist/*.py')))


def write_idx(path, array):
    header = (0x0800 | array.ndim).to_bytes(4, 'big') + b''.join(
        int(n).to_bytes(4, 'big') for n in array.shape)
    opener = gzip.open if path.endswith('.gz') else open
    with opener(path, 'wb') as f:
        f.write(header + array.astype(np.uint8).tobytes())


@pytest.fixture
def tiny_root(tmp_path):
    """12 training images of value 1 and 5 test images of value 2; gzipped and plain mixed."""
    rng = np.random.default_rng(0)
    write_idx(str(tmp_path / 'train-images-idx3-ubyte.gz'), np.ones((12, 28, 28)))
    write_idx(str(tmp_path / 'train-labels-idx1-ubyte.gz'), rng.integers(0, 10, 12))
    write_idx(str(tmp_path / 't10k-images-idx3-ubyte'), np.full((5, 28, 28), 2))
    write_idx(str(tmp_path / 't10k-labels-idx1-ubyte'), np.arange(5))
    return str(tmp_path)


def build(**kwargs):
    from mmpretrain.registry import DATASETS

    import vkd_mm.hosts.mmpretrain  # noqa: F401  registers FashionMNISTIdx
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        return DATASETS.build(
            dict(type='FashionMNISTIdx', pipeline=[dict(type='PackInputs')], **kwargs))


def run_benchmark(script: str, *args: str, timeout: int = 300) -> subprocess.CompletedProcess:
    """``benchmarks/<script> args`` in a subprocess from the repository root; output captured."""
    return subprocess.run([sys.executable, f'benchmarks/{script}', *args],
                          cwd=REPO_ROOT,
                          capture_output=True,
                          text=True,
                          timeout=timeout)


def test_read_idx_gzipped_and_plain(tiny_root):
    images = read_idx(osp.join(tiny_root, 'train-images-idx3-ubyte.gz'))
    assert images.shape == (12, 28, 28) and images.dtype == np.uint8
    assert read_idx(osp.join(tiny_root, 't10k-labels-idx1-ubyte')).tolist() == [0, 1, 2, 3, 4]


@pytest.mark.parametrize('test_mode', [None, False, True])
def test_split_alone_chooses_the_files(tiny_root, test_mode):
    """MMPretrain's FashionMNIST picks the files by test_mode; here split='test' is the test set
    whatever test_mode says, and split='train' the training set."""
    before = sorted(os.listdir(tiny_root))
    kwargs = {} if test_mode is None else dict(test_mode=test_mode)
    test = build(data_root=tiny_root, split='test', **kwargs)
    assert len(test) == 5
    assert int(test[3]['inputs'][0, 0, 0]) == 2 and int(test[3]['data_samples'].gt_label) == 3
    assert test.metainfo['classes'][0] == 'T-shirt/top'
    train = build(data_root=tiny_root, split='train', indices=4)
    assert len(train) == 4 and int(train[0]['inputs'].max()) == 1
    assert sorted(os.listdir(tiny_root)) == before  # nothing written, nothing unzipped


def test_missing_files_are_named_with_the_apt_command(tmp_path):
    (tmp_path / 'train-images-idx3-ubyte.gz').write_bytes(b'')
    with pytest.raises(FileNotFoundError) as error:
        build(data_root=str(tmp_path), split='train')
    message = str(error.value)
    assert 't10k-images-idx3-ubyte' in message and 'train-labels-idx1-ubyte' in message
    assert 'train-images-idx3-ubyte[' not in message
    assert 'apt-get install -y dataset-fashion-mnist' in message
    with pytest.raises(ValueError, match='never downloads'):
        build(data_root=str(tmp_path), download=True)


def test_config_pipelines_on_the_files(tiny_root):
    """The base config's datasets and transforms run: the training crop and flip keep a
    1 x 28 x 28 image, and the validation loader takes the test split."""
    from mmpretrain.registry import DATASETS

    import vkd_mm.hosts.mmpretrain  # noqa: F401  registers FashionMNISTIdx
    cfg = Config.fromfile(osp.join(REPO_ROOT, 'configs/fashion_mnist/_base_/fashion-mnist_cls.py'))
    for loader, expected in ((cfg.train_dataloader, 12), (cfg.val_dataloader, 5)):
        with DefaultScope.overwrite_default_scope('mmpretrain'):
            dataset = DATASETS.build(dict(loader.dataset, data_root=tiny_root, indices=None))
        assert len(dataset) == expected
        assert dataset[0]['inputs'].shape == (1, 28, 28)


@needs_real_data
def test_real_splits():
    images, labels = load_fashion_mnist(FASHION_MNIST_ROOT, 'test')
    assert images.shape == (10000, 28, 28) and np.bincount(labels).tolist() == [1000] * 10
    assert len(load_fashion_mnist(FASHION_MNIST_ROOT, 'train')[0]) == 60000


@pytest.mark.parametrize('path', CONFIGS, ids=osp.basename)
def test_config_loss_step(path):
    """Every Fashion-MNIST config builds and takes a loss step on 1-channel 28 x 28 images."""
    from mmpretrain.structures import DataSample
    cfg = Config.fromfile(path)
    model = copy.deepcopy(cfg.model)
    if model.type == 'VkDDistiller':
        for pair in model.get('logit_distill', []):
            if 'cost_matrix' in pair.loss:
                pair.loss.cost_matrix = torch.rand(10, 10)
    model.setdefault('data_preprocessor', cfg.data_preprocessor)
    assert cfg.train_dataloader.dataset.split == 'train'
    assert cfg.val_dataloader.dataset.split == 'test'
    with DefaultScope.overwrite_default_scope(cfg.default_scope):
        from mmpretrain.registry import MODELS
        built = MODELS.build(model).train()
        batch = dict(
            inputs=[torch.randint(0, 256, (1, 28, 28), dtype=torch.uint8) for _ in range(4)],
            data_samples=[DataSample().set_gt_label(i) for i in range(4)])
        losses = built(**built.data_preprocessor(batch, True), mode='loss')
    total = sum(v for k, v in losses.items() if k.startswith('loss'))
    assert torch.isfinite(total)
    total.backward()
    if model.type == 'VkDDistiller':
        assert len(losses) >= 2  # the labels' CE and at least one distillation term
        assert all(p.grad is None for p in built.teacher.parameters())
        assert all(p.grad is not None for p in built.pairs.parameters())


@needs_real_data
def test_benchmark_quick(tmp_path):
    """--quick trains every row of the ResNet and ViT students and the DeiT-style student's
    baseline and V_kD rows for two iterations and prints the tables (about 3 minutes on 2
    loaded cores; the timeout is only a safety net). The DeiT-style ablation configs take a
    loss step in test_config_loss_step."""
    rows = [
        'student', 'kd', 'fitnet', 'vkd', 'vkd-nonorm', 'vkd-linear', 'vkd-mlp', 'wkd-l', 'vkd-kd',
        'deit', 'deit-vkd'
    ]
    result = run_benchmark(
        'kd_fashion_mnist.py', '--quick', '--rows', *rows, '--work-dir', str(tmp_path), timeout=900)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    out = result.stdout
    for row in ('student alone', 'KD (Hinton', 'FitNet', 'V_kD (orthogonal', 'V_kD without',
                'V_kD with a linear', 'V_kD with an MLP', 'WKD-L', 'V_kD + KD'):
        assert out.count(f'| {row}') == 2, row
    for row in ('DeiT distillation head', 'DeiT head + V_kD'):
        assert out.count(f'| {row}') == 1, row
    assert 'vs DeiT distillation head (KL, T=1)' in out
    assert 'commit:' in out and 'machine:' in out
    assert osp.isfile(tmp_path / 'fashion_mnist_accuracy.png')


@needs_real_data
@pytest.mark.parametrize('script', ['kd_fashion_mnist.py', 'kd_budget_sweep.py'])
def test_report_without_a_stored_teacher_trains_nothing(tmp_path, script):
    """--report on a work dir without the teacher stops with the fix instead of training one."""
    result = run_benchmark(script, '--report', '--work-dir', str(tmp_path))
    assert result.returncode != 0
    assert '--report trains nothing, and no teacher' in result.stderr
    assert 'without --report' in result.stderr
    assert not glob.glob(str(tmp_path / 'teachers' / '*' / '*.pth'))


def test_budget_sweep_pairs_gains_by_seed():
    """The sweep's gain is method minus baseline at the same seed; unpaired seeds are left out."""
    sweep = runpy.run_path(osp.join(REPO_ROOT, 'benchmarks/kd_budget_sweep.py'))
    results = {
        'vit/student/0': dict(student='vit', row='student', seed=0, top1=50.0),
        'vit/student/1': dict(student='vit', row='student', seed=1, top1=54.0),
        'vit/vkd/0': dict(student='vit', row='vkd', seed=0, top1=53.5),
        'vit/vkd/1': dict(student='vit', row='vkd', seed=1, top1=55.0),
        'vit/vkd/2': dict(student='vit', row='vkd', seed=2, top1=70.0),
        'deit/deit/0': dict(student='deit', row='deit', seed=0, top1=60.0),
        'deit/deit-vkd/0': dict(student='deit', row='deit-vkd', seed=0, top1=59.0),
    }
    assert sorted(sweep['paired_gains'](results, 'vit', 'vkd')) == [1.0, 3.5]
    assert sweep['paired_gains'](results, 'deit', 'deit-vkd') == [-1.0]
    assert sweep['gain_text']([1.0, 3.5]) == '+2.25 +- 1.77'
    assert sweep['steps'](60000, 4, 128) == 1876
    assert sweep['parse_budget']('5000x4') == (5000, 4)


def test_budget_sweep_plots_stored_records(tmp_path):
    """--records draws the sweep from stored results files, one per budget, training nothing; a
    record without '=FILE' is refused with the expected form."""
    first, second = tmp_path / 'a.json', tmp_path / 'b.json'
    first.write_text(
        json.dumps({
            'vit/student/0': dict(student='vit', row='student', seed=0, top1=50.0),
            'vit/vkd/0': dict(student='vit', row='vkd', seed=0, top1=53.5),
            'vit/fitnet/0': dict(student='vit', row='fitnet', seed=0, top1=49.0),
        }))
    second.write_text(
        json.dumps({
            'vit/student/0': dict(student='vit', row='student', seed=0, top1=80.0),
            'vit/vkd/0': dict(student='vit', row='vkd', seed=0, top1=81.0),
        }))
    work_dir = ['--work-dir', str(tmp_path)]
    result = run_benchmark('kd_budget_sweep.py', *work_dir, '--records', f'256x1={first}',
                           f'256x4={second}')
    assert result.returncode == 0, result.stderr[-3000:]
    table = (tmp_path / 'budget_sweep.md').read_text()
    assert '| 2 steps (256x1) | 8 steps (256x4) |' in table
    assert '| +3.50 | +1.00 |' in table  # V_kD, one seed
    assert '| -1.00 | n/a |' in table  # FitNet, not run at the second budget
    assert 'ResNet' not in table and osp.isfile(tmp_path / 'budget_sweep.png')
    assert not glob.glob(str(tmp_path / 'teachers' / '*'))

    refused = run_benchmark('kd_budget_sweep.py', *work_dir, '--records', str(first))
    assert refused.returncode != 0 and 'IMAGESxEPOCHS=FILE' in refused.stderr


def test_side_by_side_invocations_share_runs(tmp_path):
    """Two invocations on one work dir: a run claimed by a live process is left to it, a dead
    process's claim is taken over, and stored records merge instead of overwriting each other."""
    claim = str(tmp_path / 'vit_vkd_seed0.claim')
    assert claim_run(claim) and claim_run(claim)  # this process, twice
    with open(claim, 'w') as f:
        f.write(str(os.getppid()))  # a live process that is not this one
    assert not claim_run(claim)
    dead = subprocess.Popen([sys.executable, '-c', 'pass'])
    dead.wait()
    with open(claim, 'w') as f:
        f.write(str(dead.pid))
    assert claim_run(claim)

    path = str(tmp_path / 'results.json')
    store_result(path, 'vit/vkd/0', dict(top1=1.0))
    store_result(path, 'resnet/vkd/0', dict(top1=2.0))
    assert store_result(path) == {'vit/vkd/0': dict(top1=1.0), 'resnet/vkd/0': dict(top1=2.0)}
