"""vkd_mm imports and works with torch and mmengine alone; host components explain themselves."""
import subprocess
import sys
import textwrap

HIDE_HOSTS = textwrap.dedent('''
    import sys
    for name in ('mmdet', 'mmpretrain', 'mmagic'):
        sys.modules[name] = None  # import of it fails, find_spec says not installed
''')


def run_without_hosts(body: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, '-c', HIDE_HOSTS + textwrap.dedent(body)],
                          capture_output=True, text=True, timeout=300)


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


def test_host_packages_name_the_missing_library():
    result = run_without_hosts('''
        import importlib
        import vkd_mm.models
        import vkd_mm.datasets
        for library in ('mmdet', 'mmpretrain', 'mmagic'):
            try:
                importlib.import_module(f'vkd_mm.hosts.{library}')
            except ImportError as error:
                assert f'vkd_mm.hosts.{library}' in str(error), error
                assert library in str(error) and f'requirements/{library}.txt' in str(error), error
            else:
                raise AssertionError(f'vkd_mm.hosts.{library} imported without {library}')
        print('errors ok')
    ''')
    assert result.returncode == 0, result.stderr
    assert 'errors ok' in result.stdout


def test_installed_hosts_register_their_components():
    import vkd_mm  # noqa: F401
    from vkd_mm.hosts.mmagic import VkDBigGAN
    from vkd_mm.hosts.mmdet import ViDT
    from vkd_mm.registry import MODELS
    assert MODELS.get('ViDT') is ViDT and MODELS.get('VkDBigGAN') is VkDBigGAN


def test_a_detection_install_without_mmagic_registers_vidt():
    """The common case: MMDetection (and MMPretrain) installed, MMagic's old pins not."""
    result = subprocess.run([sys.executable, '-c', textwrap.dedent('''
        import sys
        sys.modules['mmagic'] = None
        import vkd_mm
        from vkd_mm.registry import MODELS
        from vkd_mm.hosts.mmdet import ViDT
        from vkd_mm.hosts.mmpretrain import DeiTDistillHead
        assert MODELS.get('ViDT') is ViDT and MODELS.get('VkDBigGAN') is None
        print('detection ok')
    ''')], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert 'detection ok' in result.stdout


def run_fresh(body: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, '-c', textwrap.dedent(body)], capture_output=True,
                          text=True, timeout=300)


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
