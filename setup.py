import os
import os.path as osp
import platform
import shutil
import sys
from setuptools import find_packages, setup

# shipped in vkd_mm/.mim, where OpenMMLab's mim looks for a package's configs, tools and index
MIM_FILES = ('configs', 'tools', 'model-index.yml')
COPY_COMMANDS = ('bdist_wheel', 'sdist', 'build', 'build_py', 'install')
LINK_COMMANDS = ('develop', 'editable_wheel')


def read_version():
    namespace = {}
    with open('vkd_mm/version.py') as f:
        exec(f.read(), namespace)
    return namespace['__version__']


def add_mim_extension():
    """Put ``configs/``, ``tools/`` and ``model-index.yml`` into ``vkd_mm/.mim``.

    A build (wheel, sdist, install) copies them, so a non-editable install carries them; an
    editable install links them (a copy where links fail, on Windows). Other commands leave
    ``vkd_mm/.mim`` as it is, and so does a build from an sdist, which has no ``configs/``.
    """
    if any(command in sys.argv for command in LINK_COMMANDS):
        mode = 'copy' if platform.system() == 'Windows' else 'symlink'
    elif any(command in sys.argv for command in COPY_COMMANDS):
        mode = 'copy'
    else:
        return
    repo_root = osp.dirname(osp.abspath(__file__))
    mim_root = osp.join(repo_root, 'vkd_mm', '.mim')
    os.makedirs(mim_root, exist_ok=True)
    for name in MIM_FILES:
        source = osp.join(repo_root, name)
        if not osp.exists(source):
            continue
        target = osp.join(mim_root, name)
        if osp.islink(target) or osp.isfile(target):
            os.remove(target)
        elif osp.isdir(target):
            shutil.rmtree(target)
        if mode == 'symlink':
            os.symlink(osp.relpath(source, mim_root), target)
        elif osp.isdir(source):
            shutil.copytree(source, target, ignore=shutil.ignore_patterns('__pycache__', '*.pyc'))
        else:
            shutil.copyfile(source, target)


if __name__ == '__main__':
    add_mim_extension()
    setup(
        name='vkd_mm',
        version=read_version(),
        description='V_kD and WKD knowledge distillation for MMDetection, '
        'MMPretrain and MMagic, configured through OpenMMLab config files.',
        packages=find_packages(include=['vkd_mm', 'vkd_mm.*']),
        include_package_data=True,
        python_requires='>=3.8',
        install_requires=['mmengine>=0.10.0', 'torch>=2.0'],
        license='Apache License 2.0',
    )
