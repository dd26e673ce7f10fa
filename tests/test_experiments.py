"""vkd_mm.experiments: the teacher cache, metrics read back from a real run, tables, progress
lines, the stamp and the launcher's failure message."""
import glob
import os
import os.path as osp
import shutil
import subprocess
import sys
import time

import pytest
import torch
from mmengine.config import Config

from vkd_mm.experiments import Launcher, Progress, RunFailed, TeacherCache
from vkd_mm.experiments import cache as cache_module
from vkd_mm.experiments import (command_line, cpu_name, git_commit, log_progress, machine,
                                markdown_table, mean_spread, mean_std, read_metrics,
                                resolved_config_text, teacher_key, train_in_process)
from .conftest import REPO_ROOT, TOY_STUDENT_CONFIG

pytest.importorskip('mmpretrain')


def toy_options(root: str, batch_size: int = 16) -> dict:
    """One epoch of the toy student config on the tiny toy set, validated at its end."""
    return {
        'train_dataloader.dataset.data_root': root,
        'val_dataloader.dataset.data_root': root,
        'test_dataloader.dataset.data_root': root,
        'train_dataloader.batch_size': batch_size,
        'train_cfg.max_epochs': 1,
        'train_cfg.val_interval': 1,
        'param_scheduler.T_max': 1,
    }


def as_cfg_options(options: dict) -> list:
    return [f'{key}={value}' for key, value in options.items()]


def test_teacher_key_follows_config_data_and_code(tmp_path, monkeypatch, toy_data_root):
    data = tmp_path / 'train.json'
    data.write_text('{"images": []}')
    text = resolved_config_text(TOY_STUDENT_CONFIG, as_cfg_options(toy_options(toy_data_root)))
    key = teacher_key(text, [str(data)])
    assert key == teacher_key(text, [str(data)])
    assert key != teacher_key(
        resolved_config_text(TOY_STUDENT_CONFIG,
                             as_cfg_options(toy_options(toy_data_root, batch_size=8))), [str(data)])
    assert key != teacher_key(text, [str(data)], dict(OMP_NUM_THREADS='1'))
    data.write_text('{"images": [1]}')
    assert key != teacher_key(text, [str(data)])
    data.write_text('{"images": []}')

    package = tmp_path / 'vkd_mm'
    shutil.copytree(
        osp.dirname(osp.dirname(cache_module.__file__)),
        package,
        ignore=shutil.ignore_patterns('__pycache__', '.mim'))
    monkeypatch.setattr(cache_module, '_PACKAGE', str(package))
    assert teacher_key(text, [str(data)]) == key  # the same sources, elsewhere
    with open(package / 'experiments' / 'table.py', 'a') as source:
        source.write('\n# an edit\n')
    assert teacher_key(text, [str(data)]) != key


def test_data_folder_hash_follows_file_names_and_contents(tmp_path):
    (tmp_path / 'train').mkdir()
    (tmp_path / 'train' / 'a.png').write_bytes(b'1')
    before = cache_module.files_hash([str(tmp_path)])
    (tmp_path / 'train' / 'a.png').rename(tmp_path / 'train' / 'b.png')
    renamed = cache_module.files_hash([str(tmp_path)])
    (tmp_path / 'train' / 'b.png').write_bytes(b'2')
    assert len({before, renamed, cache_module.files_hash([str(tmp_path)])}) == 3


def test_cached_teacher_is_reused_and_a_changed_config_retrains(tmp_path, toy_data_root):
    """Real one-epoch runs of the toy config: the same key twice trains once; another batch
    size trains again. The cached teacher then evaluates through tools/test.py, and the metric
    read from that log is the one MMEngine wrote in the test run's JSON and the one the
    training's own validation logged."""
    cache = TeacherCache(str(tmp_path / 'teachers'))
    trained = []

    def fetch(options: dict) -> dict:
        key = teacher_key(
            resolved_config_text(TOY_STUDENT_CONFIG, as_cfg_options(options)), [toy_data_root])

        def train(directory: str) -> dict:
            trained.append(directory)
            cfg = Config.fromfile(TOY_STUDENT_CONFIG)
            cfg.merge_from_dict(options)
            cfg.work_dir = directory
            train_in_process(cfg)
            return dict(checkpoint=osp.join(directory, 'epoch_1.pth'))

        return cache.fetch(key, train)

    first = fetch(toy_options(toy_data_root))
    assert not first['cached'] and len(trained) == 1
    again = fetch(toy_options(toy_data_root))
    assert again['cached'] and again['checkpoint'] == first['checkpoint'] and len(trained) == 1
    other = fetch(toy_options(toy_data_root, batch_size=8))
    assert not other['cached'] and len(trained) == 2
    assert other['checkpoint'] != first['checkpoint']

    teacher_dir = osp.dirname(first['checkpoint'])
    train_log = glob.glob(osp.join(teacher_dir, '*', '*.log'))[0]
    scalars = glob.glob(osp.join(teacher_dir, '*', 'vis_data', 'scalars.json'))[0]
    trained_top1 = read_metrics(train_log)['accuracy/top1']
    # the log prints 4 decimals, the JSON the full value
    assert read_metrics(scalars)['accuracy/top1'] == pytest.approx(trained_top1, abs=1e-4)

    test_dir = str(tmp_path / 'test')
    metrics = Launcher(REPO_ROOT).test(TOY_STUDENT_CONFIG, first['checkpoint'], test_dir,
                                       as_cfg_options(toy_options(toy_data_root)))
    written = [
        path for path in glob.glob(osp.join(test_dir, '*', '*.json'))
        if osp.basename(path) != 'scalars.json'
    ]
    assert metrics == pytest.approx(read_metrics(written[0]), abs=1e-4)
    assert metrics['accuracy/top1'] == pytest.approx(trained_top1, abs=1e-4)


def test_a_teacher_without_its_checkpoint_is_an_error_naming_the_folder(tmp_path):
    cache = TeacherCache(str(tmp_path))
    with pytest.raises(FileNotFoundError, match=r'record\["checkpoint"\]') as error:
        cache.fetch('k', lambda directory: dict(checkpoint=osp.join(directory, 'none.pth')))
    assert str(tmp_path / 'k') in str(error.value)
    assert cache.get('k') is None


def test_read_metrics_takes_the_last_evaluation_of_a_log():
    log = ('Epoch(val) [1][2/2]    accuracy/top1: 10.0000  data_time: 0.01  time: 0.1\n'
           'Epoch(test) [ 1/25]    eta: 0:00:30  time: 0.2\n'
           'Epoch(test) [25/25]    coco/bbox_mAP: 0.1230  coco/bbox_mAP_50: -1.0000  time: 0.2\n')
    assert read_metrics(log) == {'coco/bbox_mAP': 0.123, 'coco/bbox_mAP_50': -1.0}
    with pytest.raises(ValueError, match='did the run evaluate'):
        read_metrics('Epoch(train) [1][2/2]  loss: 0.5\n')


def test_mean_std_and_markdown_table():
    assert mean_std([1.0, 2.0]) == '1.50 +- 0.71'
    assert mean_std([71.2]) == '71.20'
    assert mean_std([1.0, 3.5], signed=True) == '+2.25 +- 1.77'
    assert mean_std([0.25, 0.5], digits=3) == '0.375 +- 0.177'
    assert mean_spread([0.4]) == (0.4, 0.0)
    with pytest.raises(ValueError, match='at least one value'):
        mean_spread([])
    assert markdown_table(
        ['model', 'top-1'],
        [('teacher', '71.20'),
         ('student', '')]) == ('| model | top-1 |\n|---|---|\n| teacher | 71.20 |\n| student |  |')


def test_progress_lines():
    progress = Progress(12, start=time.time() - 246)
    assert progress.line('vit/vkd/0', 3) == '[3/12] vit/vkd/0 (elapsed 4.1 min)'
    log = ('Epoch(train)  [2][10/50]  base_lr: 4e-4 lr: 4e-4  eta: 0:03:10  time: 0.5\n'
           'Epoch(train)  [2][20/50]  base_lr: 4e-4 lr: 4e-4  eta: 0:02:58  time: 0.5\n')
    assert log_progress(log) == 'epoch 2, iteration 20/50, ETA 0:02:58'
    log += 'Epoch(test) [ 10/25]    eta: 0:00:30\n'
    assert log_progress(log) == 'evaluating: 10/25 batches'
    assert log_progress('Iter(train) [ 40/200]  lr: 1e-4  eta: 0:01:02  time: 0.3\n') == (
        'iteration 40/200, ETA 0:01:02')
    assert log_progress('nothing logged yet\n') == ''


def test_stamp_fields(tmp_path):
    repo, plain = tmp_path / 'repo', tmp_path / 'plain'
    plain.mkdir()
    git = ['git', '-c', 'user.name=t', '-c', 'user.email=t@t']
    subprocess.run(['git', 'init', '-q', str(repo)], check=True)
    (repo / 'a.py').write_text('a = 1\n')
    subprocess.run(git + ['add', 'a.py'], cwd=repo, check=True)
    subprocess.run(git + ['commit', '-q', '-m', 'a'], cwd=repo, check=True)
    head = subprocess.run(['git', 'rev-parse', '--short', 'HEAD'],
                          cwd=repo,
                          capture_output=True,
                          text=True,
                          check=True).stdout.strip()
    assert git_commit(str(repo)) == head
    (repo / 'a.py').write_text('a = 2\n')
    assert git_commit(str(repo)) == head + ' (with local changes)'
    assert git_commit(str(plain)) == 'unknown'

    text = machine()
    assert text.startswith(f'{cpu_name()}, {os.cpu_count()} logical CPUs, torch '
                           f'{torch.__version__} with {torch.get_num_threads()} threads')
    assert 'load average ' in text
    assert command_line(['run.py', 'a b']) == f'{sys.executable} run.py \'a b\''


def test_launcher_failure_names_the_command_and_the_log(tmp_path):
    log = str(tmp_path / 'child.log')
    with pytest.raises(RunFailed) as error:
        Launcher(REPO_ROOT).run([sys.executable, '-c', 'print("half way"); raise SystemExit(3)'],
                                log)
    message = str(error.value)
    assert 'exit 3' in message and log in message and 'half way' in message


def test_importing_experiments_imports_no_host_library():
    code = ('import sys, vkd_mm.experiments\n'
            'print(sorted({"mmdet", "mmpretrain", "mmagic"} & set(sys.modules)))')
    result = subprocess.run([sys.executable, '-c', code],
                            capture_output=True,
                            text=True,
                            check=True,
                            cwd=REPO_ROOT,
                            env=dict(os.environ, PYTHONPATH=REPO_ROOT))
    assert result.stdout.strip().splitlines()[-1] == '[]'
