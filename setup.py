from setuptools import find_packages, setup


def read_version():
    namespace = {}
    with open('vkd_mm/version.py') as f:
        exec(f.read(), namespace)
    return namespace['__version__']


setup(
    name='vkd_mm',
    version=read_version(),
    description='V_kD and WKD knowledge distillation for MMDetection, '
    'MMPretrain and MMagic, configured through OpenMMLab config files.',
    packages=find_packages(include=['vkd_mm', 'vkd_mm.*']),
    python_requires='>=3.8',
    install_requires=['mmengine>=0.10.0', 'torch>=2.0'],
    license='Apache License 2.0',
)
