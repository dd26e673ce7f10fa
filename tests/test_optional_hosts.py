"""vkd_mm imports and works with torch and mmengine alone; host components explain themselves."""
import json
import subprocess
import sys
import textwrap

from vkd_mm.registry import HOST_MODULES

# every library a host row needs, hidden from a subprocess by HIDE_HOSTS
HOST_LIBRARIES = sorted({library for _, _, libraries in HOST_MODULES for library in libraries})
HIDE_HOSTS = textwrap.dedent(f'''
    import sys
    HOSTS = {HOST_LIBRARIES!r}
    for name in HOSTS:
        sys.modules[name] = None  # import of it fails, find_spec says not installed
''')


def run_without_hosts(body: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, '-c', HIDE_HOSTS + textwrap.dedent(body)],
                          capture_output=True,
                          text=True,
                          timeout=300)


def run_fresh(body: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, '-c', textwrap.dedent(body)],
                          capture_output=True,
                          text=True,
                          timeout=300)


def test_core_components_work_without_host_libraries():
    result = run_without_hosts('''
        import torch
        import vkd_mm
        from vkd_mm.registry import MODELS
        assert 'mmdet' not in [m.split('.')[0] for m in sys.modules if sys.modules[m]]
        projector = MODELS.build(dict(type='OrthogonalProjector', in_channels=8,
                                      out_channels=16))
        loss = MODELS.build(dict(type='VkDLoss'))
        student, teacher = torch.randn(4, 8), torch.randn(4, 16)
        value = loss(projector(student), teacher)
        value.backward()
        wkd = MODELS.build(dict(type='WKDLogitLoss', cost_matrix=torch.rand(5, 5)))
        logits = torch.randn(3, 5, requires_grad=True)
        wkd(logits, torch.randn(3, 5), torch.tensor([0, 1, 2])).backward()
        assert torch.isfinite(logits.grad).all()
        assert MODELS.get('ViDT') is None and MODELS.get('VkDBigGAN') is None
        print('core ok')
    ''')
    assert result.returncode == 0, result.stderr
    assert 'core ok' in result.stdout


def test_a_wkd_l_pair_trains_without_mmpretrain():
    """The distiller reads labels from any data sample with ``gt_label``: a WKD-L pair between
    two plain MMEngine models runs and backpropagates with every host library hidden."""
    result = run_without_hosts('''
        import torch
        from mmengine.model import BaseModel
        from mmengine.structures import BaseDataElement
        from vkd_mm.models import VkDDistiller

        class Classifier(BaseModel):
            def __init__(self):
                super().__init__()
                self.fc = torch.nn.Linear(4, 5)

            def forward(self, inputs, data_samples=None, mode='tensor'):
                logits = self.fc(inputs)
                return dict(loss_cls=logits.square().mean()) if mode == 'loss' else logits

        distiller = VkDDistiller(
            student=dict(type=Classifier), teacher=dict(type=Classifier),
            logit_distill=[dict(student=dict(path='fc', channels=5),
                                teacher=dict(path='fc', channels=5),
                                loss=dict(type='WKDLogitLoss', cost_matrix=torch.rand(5, 5)))])
        samples = [BaseDataElement(gt_label=torch.tensor([i % 5])) for i in range(6)]
        losses = distiller(torch.randn(6, 4), samples, mode='loss')
        assert sorted(losses) == ['loss_cls', 'loss_wkdl_logit0'], sorted(losses)
        losses['loss_wkdl_logit0'].backward()
        assert torch.isfinite(losses['loss_wkdl_logit0'])
        assert distiller.student.fc.weight.grad.abs().sum() > 0
        loaded = [m for m in sys.modules if sys.modules[m] and m.split('.')[0] in HOSTS]
        assert not loaded, loaded
        print('wkd-l ok')
    ''')
    assert result.returncode == 0, result.stderr
    assert 'wkd-l ok' in result.stdout


def test_host_packages_name_the_missing_library():
    result = run_without_hosts(f'''
        import importlib
        import vkd_mm.models
        import vkd_mm.datasets
        for _, package, libraries in {HOST_MODULES!r}:
            try:
                importlib.import_module(package)
            except ImportError as error:
                assert package in str(error), error
                for library in libraries:
                    assert library in str(error), error
                    assert f'requirements/{{library}}.txt' in str(error), error
            else:
                raise AssertionError(f'{{package}} imported without {{libraries}}')
        print('errors ok')
    ''')
    assert result.returncode == 0, result.stderr
    assert 'errors ok' in result.stdout


def test_installed_hosts_register_their_components():
    """Each component a host package registers (found by importing the package) is found by its
    bare name in its host's scope by a process that only ran ``import vkd_mm``."""
    listed = run_fresh('''
        import importlib, json
        import mmengine.registry
        from vkd_mm.registry import HOST_MODULES
        components = []
        for host, package, _ in HOST_MODULES:
            importlib.import_module(package)
            for attribute in dir(mmengine.registry):
                registry = getattr(mmengine.registry, attribute)
                if isinstance(registry, mmengine.registry.Registry) and registry.parent is None:
                    components += [(host, package, attribute, name)
                                   for name, cls in registry.module_dict.items()
                                   if cls.__module__.startswith(package + '.')]
        print(json.dumps(components))
    ''')
    assert listed.returncode == 0, listed.stderr
    components = json.loads(listed.stdout.splitlines()[-1])
    assert {host for host, *_ in components} == {row[0] for row in HOST_MODULES}
    found = run_fresh(f'''
        import importlib
        from mmengine.registry import DefaultScope
        import vkd_mm
        for host, package, attribute, name in {components!r}:
            registry = getattr(importlib.import_module(host + '.registry'), attribute)
            with DefaultScope.overwrite_default_scope(host):
                component = registry.get(name)
            assert component is not None, (host, name)
            assert component.__module__.startswith(package + '.'), (name, component)
        print('{len(components)} found')
    ''')
    assert found.returncode == 0, found.stderr
    assert f'{len(components)} found' in found.stdout


def test_a_detection_install_without_mmagic_registers_vidt():
    """The common case: MMDetection (and MMPretrain) installed, MMagic's old pins not."""
    result = subprocess.run([
        sys.executable, '-c',
        textwrap.dedent('''
        import sys
        sys.modules['mmagic'] = None
        import vkd_mm
        from vkd_mm.registry import MODELS
        from vkd_mm.hosts.mmdet import ViDT
        from vkd_mm.hosts.mmpretrain import DeiTDistillHead
        assert MODELS.get('ViDT') is ViDT and MODELS.get('VkDBigGAN') is None
        print('detection ok')
    ''')
    ],
                            capture_output=True,
                            text=True,
                            timeout=300)
    assert result.returncode == 0, result.stderr
    assert 'detection ok' in result.stdout


def test_import_leaves_host_libraries_out():
    """``import vkd_mm`` imports no host library beyond what ``mmengine.model`` imports itself
    (mmengine 0.10.7 imports transformers, when installed, to register its Adafactor)."""
    result = run_fresh('''
        import sys
        HOSTS = {'mmdet', 'mmpretrain', 'mmagic', 'diffusers', 'transformers'}
        import mmengine.model
        floor = {m.split('.')[0] for m in sys.modules} & HOSTS
        import vkd_mm
        assert {m.split('.')[0] for m in sys.modules} & HOSTS == floor, sys.modules.keys()
        assert not floor & {'mmdet', 'mmpretrain', 'mmagic', 'diffusers'}
        print('lean ok')
    ''')
    assert result.returncode == 0, result.stderr
    assert 'lean ok' in result.stdout


def test_a_host_scope_registers_its_components_on_first_build():
    """A config of the mmdet scope finds ViDTSwin with nothing but ``import vkd_mm``, and building
    it imports neither MMPretrain's nor MMagic's components."""
    result = run_fresh('''
        import sys
        import vkd_mm
        from mmengine.registry import DefaultScope
        from vkd_mm.registry import MODELS
        assert MODELS.get('ViDTSwin') is None  # not imported yet
        with DefaultScope.overwrite_default_scope('mmdet'):
            backbone = MODELS.build(dict(type='ViDTSwin', arch='nano', num_det_tokens=4))
        assert type(backbone).__name__ == 'ViDTSwin'
        assert 'mmagic' not in sys.modules and 'vkd_mm.hosts.mmagic' not in sys.modules
        assert 'vkd_mm.hosts.mmpretrain' not in sys.modules
        with DefaultScope.overwrite_default_scope('mmpretrain'):
            head = MODELS.build(dict(type='DeiTDistillHead', num_classes=3, in_channels=8))
        assert type(head).__name__ == 'DeiTDistillHead'
        print('scope ok')
    ''')
    assert result.returncode == 0, result.stderr
    assert 'scope ok' in result.stdout


def test_a_scope_prefix_registers_the_host_components():
    result = run_fresh('''
        import vkd_mm
        from vkd_mm.registry import MODELS
        assert MODELS.get('mmdet.ViDT').__name__ == 'ViDT'
        print('prefix ok')
    ''')
    assert result.returncode == 0, result.stderr
    assert 'prefix ok' in result.stdout


def test_a_host_imported_before_vkd_mm_still_registers():
    """The host registry module already imported (its locations either not yet or already
    imported) when vkd_mm is imported."""
    result = run_fresh('''
        from mmdet.registry import MODELS as DET_MODELS
        from mmpretrain.registry import MODELS as PRETRAIN_MODELS
        PRETRAIN_MODELS.get('ResNet')  # MMPretrain imports its own locations now
        import vkd_mm
        from vkd_mm.registry import MODELS
        assert MODELS.get('DeiTDistillHead') is not None  # imported by vkd_mm at once
        assert DET_MODELS.get('ViDT').__name__ == 'ViDT'  # on the first look-up
        print('before ok')
    ''')
    assert result.returncode == 0, result.stderr
    assert 'before ok' in result.stdout
