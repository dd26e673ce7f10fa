"""A new host is one folder, one row in ``HOST_MODULES`` and one requirements file.

The test adds a host ``fakehost`` that way to a copy of the package (and a stand-in host library
of the same name, with its registries made as OpenMMLab libraries make theirs) and checks that
``tools/list_hosts.py`` (what ``tools/setup_env.sh`` installs from) lists it, that its scope
registers its components on first use, and that its package names its requirements file when the
library is missing.
"""
import os
import os.path as osp
import shutil
import subprocess
import sys
import textwrap

import pytest

from .conftest import REPO_ROOT

HOST_LIBRARY = {
    'fakehost/__init__.py':
    '',
    'fakehost/models.py':
    '',
    'fakehost/transforms.py':
    '',
    'fakehost/registry.py':
    '''
        from mmengine.registry import MODELS as MMENGINE_MODELS
        from mmengine.registry import TRANSFORMS as MMENGINE_TRANSFORMS
        from mmengine.registry import Registry

        MODELS = Registry('model', parent=MMENGINE_MODELS, locations=['fakehost.models'])
        TRANSFORMS = Registry('transform', parent=MMENGINE_TRANSFORMS,
                              locations=['fakehost.transforms'])
    ''',
}
HOST_FOLDER = {
    'vkd_mm/hosts/fakehost/__init__.py':
    '''
        from vkd_mm.hosts import require_host_libraries

        require_host_libraries(__name__)

        from .parts import FakeHostHead, FakeHostTransform
    ''',
    'vkd_mm/hosts/fakehost/parts.py':
    '''
        from mmengine.registry import TRANSFORMS
        from torch import nn

        from vkd_mm.registry import MODELS


        @MODELS.register_module()
        class FakeHostHead(nn.Linear):
            pass


        @TRANSFORMS.register_module()
        class FakeHostTransform:
            def __call__(self, results):
                return results
    ''',
}
ROW = "    ('fakehost', 'vkd_mm.hosts.fakehost', ('fakehost', )),\n"


def write(root: str, files: dict) -> None:
    for path, text in files.items():
        os.makedirs(osp.dirname(osp.join(root, path)), exist_ok=True)
        with open(osp.join(root, path), 'w') as file:
            file.write(textwrap.dedent(text))


@pytest.fixture(scope='module')
def tree_with_fake_host(tmp_path_factory):
    """(a copy of the repository's package, tools and requirements with the host added, the
    folder holding the host library)."""
    root = str(tmp_path_factory.mktemp('repo'))
    ignore = shutil.ignore_patterns('__pycache__')
    for folder in ('vkd_mm', 'tools', 'requirements'):
        shutil.copytree(osp.join(REPO_ROOT, folder), osp.join(root, folder), ignore=ignore)
    write(root, HOST_FOLDER)  # one folder
    registry = osp.join(root, 'vkd_mm', 'registry.py')
    with open(registry) as file:
        lines = file.readlines()
    start = next(i for i, line in enumerate(lines) if line.startswith('HOST_MODULES'))
    end = next(i for i in range(start, len(lines)) if lines[i].startswith(')'))
    lines.insert(end, ROW)  # one row
    with open(registry, 'w') as file:
        file.writelines(lines)
    write(root, {'requirements/fakehost.txt': 'fakehost==0.1\n'})  # one requirements file
    library = str(tmp_path_factory.mktemp('library'))
    write(library, HOST_LIBRARY)
    return root, library


def run(code: str, *path: str, cwd: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(path))
    return subprocess.run([sys.executable, '-c', textwrap.dedent(code)],
                          cwd=cwd,
                          env=env,
                          capture_output=True,
                          text=True,
                          timeout=300)


def test_setup_lists_the_new_host_without_torch(tree_with_fake_host):
    root, _ = tree_with_fake_host
    result = run(
        '''
        import runpy, sys
        sys.modules['torch'] = sys.modules['mmengine'] = None  # not installed yet
        for field in ('requirements', 'packages'):
            sys.argv = ['list_hosts.py', field]
            runpy.run_path('tools/list_hosts.py', run_name='__main__')
    ''',
        cwd=root)
    assert result.returncode == 0, result.stderr
    listed = result.stdout.splitlines()
    assert osp.join(root, 'requirements', 'fakehost.txt') in listed
    assert osp.join(root, 'requirements', 'mmdet.txt') in listed
    assert 'vkd_mm.hosts.fakehost' in listed and 'vkd_mm.hosts.mmdet' in listed


def test_the_new_host_registers_in_its_scope(tree_with_fake_host):
    root, library = tree_with_fake_host
    result = run(
        '''
        import sys
        import vkd_mm
        from mmengine.registry import DefaultScope
        from fakehost.registry import MODELS, TRANSFORMS
        assert vkd_mm.__file__.startswith(%r), vkd_mm.__file__
        assert 'vkd_mm.hosts.fakehost' not in sys.modules
        with DefaultScope.overwrite_default_scope('fakehost'):
            head = MODELS.build(dict(type='FakeHostHead', in_features=2, out_features=3))
            transform = TRANSFORMS.build(dict(type='FakeHostTransform'))
        assert type(head).__module__ == 'vkd_mm.hosts.fakehost.parts'
        assert transform(dict(x=1)) == dict(x=1)
        print('fake host ok')
    ''' % root,
        root,
        library,
        cwd=root)
    assert result.returncode == 0, result.stderr
    assert 'fake host ok' in result.stdout


def test_the_new_host_names_its_requirements_file_when_missing(tree_with_fake_host):
    root, _ = tree_with_fake_host
    result = run(
        '''
        try:
            import vkd_mm.hosts.fakehost
        except ImportError as error:
            print(error)
    ''',
        root,
        cwd=root)
    assert result.returncode == 0, result.stderr
    assert 'vkd_mm.hosts.fakehost' in result.stdout
    assert 'requirements/fakehost.txt' in result.stdout
