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


def test_host_components_name_the_missing_library():
    result = run_without_hosts('''
        import vkd_mm.models
        import vkd_mm.datasets
        for module, name, library in ((vkd_mm.models, 'ViDT', 'mmdet'),
                                      (vkd_mm.models, 'VkDBigGAN', 'mmagic'),
                                      (vkd_mm.models, 'DeiTDistillHead', 'mmpretrain'),
                                      (vkd_mm.datasets, 'CIFAR10Subset', 'mmagic')):
            try:
                getattr(module, name)
            except ImportError as error:
                assert library in str(error) and f'requirements/{library}.txt' in str(error), error
            else:
                raise AssertionError(f'{name} imported without {library}')
        try:
            vkd_mm.models.NoSuchThing
        except AttributeError:
            print('errors ok')
    ''')
    assert result.returncode == 0, result.stderr
    assert 'errors ok' in result.stdout


def test_installed_hosts_register_their_components():
    import vkd_mm  # noqa: F401
    from vkd_mm.models import ViDT, VkDBigGAN
    from vkd_mm.registry import MODELS
    assert MODELS.get('ViDT') is ViDT and MODELS.get('VkDBigGAN') is VkDBigGAN


def test_a_detection_install_without_mmagic_registers_vidt():
    """The common case: MMDetection (and MMPretrain) installed, MMagic's old pins not."""
    result = subprocess.run([sys.executable, '-c', textwrap.dedent('''
        import sys
        sys.modules['mmagic'] = None
        import vkd_mm
        from vkd_mm.registry import MODELS
        from vkd_mm.models import ViDT, DeiTDistillHead
        assert MODELS.get('ViDT') is ViDT and MODELS.get('VkDBigGAN') is None
        print('detection ok')
    ''')], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert 'detection ok' in result.stdout
