"""OpenMMLab packaging: the wheel carries configs, tools and the model index in ``vkd_mm/.mim``,
the committed metafiles are what ``tools/misc/make_metafiles.py`` writes, and ``mim train``
finds a toy config in an installed wheel and trains it (docs/packaging.md)."""
import importlib.util
import os
import os.path as osp
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest
import yaml

from .conftest import REPO_ROOT

# what a wheel is built from: the files setup.py and MANIFEST.in read
BUILD_INPUTS = ('setup.py', 'MANIFEST.in', 'model-index.yml', 'vkd_mm', 'configs', 'tools')
TOY_CONFIG = 'configs/toy/resnet18-w8_8e_toy-shapes.py'


def _load_generator():
    path = osp.join(REPO_ROOT, 'tools/misc/make_metafiles.py')
    spec = importlib.util.spec_from_file_location('make_metafiles', path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


make_metafiles = _load_generator()


def _clean_env():
    """The environment of a child process that must import vkd_mm from what it installed."""
    env = {key: value for key, value in os.environ.items() if key != 'PYTHONPATH'}
    env['OMP_NUM_THREADS'] = '1'
    return env


def _repo_files(folder, suffixes):
    root = Path(REPO_ROOT)
    return {
        path.relative_to(root).as_posix()
        for path in (root / folder).rglob('*')
        if path.suffix in suffixes and '__pycache__' not in path.parts
    }


@pytest.fixture(scope='module')
def wheel(tmp_path_factory):
    """A wheel of the checkout, built offline from a copy of its build inputs."""
    source = tmp_path_factory.mktemp('source')
    ignore = shutil.ignore_patterns('__pycache__', '*.pyc', '.mim')
    for name in BUILD_INPUTS:
        path = osp.join(REPO_ROOT, name)
        if osp.isdir(path):
            shutil.copytree(path, source / name, ignore=ignore)
        else:
            shutil.copyfile(path, source / name)
    out = tmp_path_factory.mktemp('wheel')
    subprocess.run([
        sys.executable, '-m', 'pip', 'wheel', '--no-deps', '--no-index', '--no-build-isolation',
        '--disable-pip-version-check', '-q', '-w',
        str(out),
        str(source)
    ],
                   check=True,
                   env=_clean_env(),
                   timeout=300)
    wheels = list(out.glob('vkd_mm-*.whl'))
    assert len(wheels) == 1, wheels
    return wheels[0]


def test_wheel_carries_configs_tools_and_model_index(wheel):
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        index = archive.read('vkd_mm/.mim/model-index.yml').decode()
    shipped = {name[len('vkd_mm/.mim/'):] for name in names if name.startswith('vkd_mm/.mim/')}
    expected = (
        _repo_files('configs', {'.py', '.yml', '.md'})
        | _repo_files('tools', {'.py', '.sh'}) | {'model-index.yml'})
    assert expected - shipped == set(), 'missing from the wheel'
    assert not any('__pycache__' in name for name in shipped)
    assert index == Path(REPO_ROOT, 'model-index.yml').read_text()
    assert 'vkd_mm/models/__init__.py' in names


def test_committed_metafiles_are_what_the_generator_writes():
    stale = make_metafiles.stale_files(Path(REPO_ROOT))
    assert stale == [], (f'{[str(p) for p in stale]} differ from what the generator writes: run '
                         'python tools/misc/make_metafiles.py')


def test_the_generator_checks_without_torch_or_the_vkd_mm_package():
    """It reads the header parser by its path: no import of torch, MMEngine or vkd_mm."""
    script = ('import runpy, sys\n'
              'sys.argv = ["make_metafiles.py", "--check"]\n'
              'try:\n'
              f'    runpy.run_path({make_metafiles.__file__!r}, run_name="__main__")\n'
              'except SystemExit as done:\n'
              '    code = done.code\n'
              'print(code, sorted({"torch", "mmengine", "vkd_mm"} & set(sys.modules)))\n')
    result = subprocess.run([sys.executable, '-c', script],
                            capture_output=True,
                            text=True,
                            env=_clean_env(),
                            timeout=120)
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.splitlines()[-1] == '0 []'


def test_model_index_lists_every_config_once():
    root = Path(REPO_ROOT)
    index = yaml.safe_load((root / 'model-index.yml').read_text())
    configs = []
    for metafile in index['Import']:
        data = yaml.safe_load((root / metafile).read_text())
        collections = {c['Name'] for c in data['Collections']}
        for model in data['Models']:
            assert model['In Collection'] in collections
            assert (root / model['Config']).is_file(), model['Config']
            configs.append(model['Config'])
    expected = sorted(
        path for path in _repo_files('configs', {'.py'}) if '_base_' not in path.split('/'))
    assert sorted(configs) == expected


def _write_config(root, rel, header):
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(header + "_base_ = ['../_base_/default_runtime.py']\n")


def test_generator_turns_headers_into_results(tmp_path):
    _write_config(
        tmp_path, 'configs/gan/vkd_biggan_1xb50_cifar100-10p-32x32.py',
        '# paper: Table 4, CIFAR-100 10 %, V_kD, FID 26.6\n'
        '# paper: Table 9, CIFAR-100 10 %, V_kD, precision figure unknown (not read)\n'
        '# paper: Table 9, CIFAR-100 10 %, V_kD, precision/recall: 0.71/0.65\n'
        '# differs: nothing known\n')
    _write_config(tmp_path, 'configs/gan/biggan_1xb50_cifar10-10p-32x32.py', '# no table\n')
    _write_config(
        tmp_path, 'configs/det/vkd_vidt_8xb2-50e_coco.py',
        '# paper: Table 2, Swin-nano, V_kD, AP 43.0 (40.4 without)\n'
        '# differs: nothing known\n')
    (tmp_path / 'configs/det/README.md').write_text('# det\n')
    files = make_metafiles.render(tmp_path)
    gan = yaml.safe_load(files[tmp_path / 'configs/gan/metafile.yml'])
    det = yaml.safe_load(files[tmp_path / 'configs/det/metafile.yml'])
    index = yaml.safe_load(files[tmp_path / 'model-index.yml'])

    assert index == {'Import': ['configs/det/metafile.yml', 'configs/gan/metafile.yml']}
    assert det['Collections'] == [{
        'Name': 'det',
        'Paper': make_metafiles.PAPER,
        'README': 'configs/det/README.md'
    }]
    assert det['Models'] == [{
        'Name':
        'vkd_vidt_8xb2-50e_coco',
        'In Collection':
        'det',
        'Config':
        'configs/det/vkd_vidt_8xb2-50e_coco.py',
        'Metadata': {
            'Training Data': 'COCO',
            'Epochs': 50,
            'Batch Size': 16
        },
        'Results': [{
            'Task': 'Object Detection',
            'Dataset': 'COCO',
            'Metrics': {
                'box AP': 43.0
            }
        }],
        'Weights':
        'not released'
    }]
    baseline, distilled = gan['Models']
    assert baseline['Metadata'] == {'Training Data': 'CIFAR-10', 'Batch Size': 50}
    assert 'Results' not in baseline
    # the first Table 9 row has no figure, so it gives no entry; Tables 4 and 9 cover CIFAR-10
    # and -100, so the data set comes from the name
    assert distilled['Results'] == [{
        'Task': 'Conditional GANs',
        'Dataset': 'CIFAR-100',
        'Metrics': {
            'FID': 26.6
        }
    }, {
        'Task': 'Conditional GANs',
        'Dataset': 'CIFAR-100',
        'Metrics': {
            'precision': 0.71,
            'recall': 0.65
        }
    }]


@pytest.mark.parametrize('rel, header, error', [
    ('configs/a/vkd_model_coco.py', '# paper: Table 12, row, AP 1.0\n', 'names Table 12'),
    ('configs/a/vkd_model.py', '# a header\n', 'the name has no dataset field'),
    ('configs/a/vkd_biggan.py', '# paper: Table 4, row, FID 20.1\n', 'covers several data sets'),
    ('configs/a/vkd_biggan_cifar10.py', '# paper: Table 9, row, P/R/D 0.7/0.6\n',
     'write the figure as'),
])
def test_generator_names_the_fix(tmp_path, rel, header, error):
    _write_config(tmp_path, rel, header)
    with pytest.raises(ValueError, match=error):
        make_metafiles.render(tmp_path)


def test_generator_rejects_two_configs_of_one_name(tmp_path):
    _write_config(tmp_path, 'configs/a/model_coco.py', '')
    _write_config(tmp_path, 'configs/b/model_coco.py', '')
    with pytest.raises(ValueError, match='same file name'):
        make_metafiles.render(tmp_path)


@pytest.mark.skipif(
    importlib.util.find_spec('mim') is None,
    reason='openmim is not installed (pip install openmim)')
def test_mim_trains_a_toy_config_from_the_installed_wheel(wheel, tmp_path):
    """A fresh virtual environment that sees this one's packages gets the wheel (no editable
    install, no PYTHONPATH); ``mim search`` lists the toy config, and run from a folder
    without configs, ``mim train`` finds it in the installed ``vkd_mm/.mim`` and its
    tools/train.py trains it for one epoch."""
    venv = tmp_path / 'venv'
    subprocess.run([sys.executable, '-m', 'venv', '--without-pip', str(venv)], check=True)
    site_packages = Path(sysconfig.get_path('purelib', vars={'base': str(venv)}))
    visible = [path for path in sys.path if path.endswith('site-packages')]
    (site_packages / 'outer_site_packages.pth').write_text('\n'.join(visible) + '\n')
    python = str(venv / 'bin' / 'python')
    env = _clean_env()
    # --ignore-installed: a vkd_mm of the outer environment must not stand in for the wheel
    subprocess.run([
        python, '-m', 'pip', 'install', '--no-deps', '--no-index', '--ignore-installed', '-q',
        '--disable-pip-version-check',
        str(wheel)
    ],
                   check=True,
                   env=env)
    mim_root = site_packages / 'vkd_mm' / '.mim'
    search = subprocess.run([python, '-m', 'mim', 'search', 'vkd_mm', '--field', 'config'],
                            env=env,
                            capture_output=True,
                            text=True,
                            check=True)
    assert f'config id: {Path(TOY_CONFIG).stem}\n' in search.stdout
    run_dir = tmp_path / 'run'
    run_dir.mkdir()
    subprocess.run(
        [python, str(mim_root / 'tools/make_toy_data.py'), '--train', '4', '--val', '2'],
        check=True,
        env=env,
        cwd=run_dir)
    result = subprocess.run([
        python, '-m', 'mim', 'train', 'vkd_mm', TOY_CONFIG, '--work-dir', 'work', '--cfg-options',
        'train_cfg.max_epochs=1', 'train_cfg.val_interval=1'
    ],
                            env=env,
                            cwd=run_dir,
                            capture_output=True,
                            text=True,
                            timeout=300)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert f'will use {osp.realpath(mim_root / TOY_CONFIG)}' in result.stdout
    assert (run_dir / 'work' / 'epoch_1.pth').is_file()
