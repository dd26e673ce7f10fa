"""Data-limited BigGAN with DiffAugment and V_kD on MMagic: augmentations, data subsets, real
runner iterations, FID / IS through MMagic's metrics and generator export."""
import glob
import os
import os.path as osp
import subprocess
import sys

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.hub import get_config
from mmengine.registry import DefaultScope
from mmengine.runner import Runner, load_checkpoint

from vkd_mm.datasets import make_toy_cifar
from vkd_mm.hosts.mmagic import CIFAR100Subset, DiffAugment, subset_indices
from vkd_mm.hosts.mmagic.diff_augment import cutout, translate
from vkd_mm.registry import MODELS
from .conftest import REPO_ROOT
from .gan_stand_ins import save_tiny_inception, with_tiny_teacher

GAN_CONFIGS = sorted(glob.glob(osp.join(REPO_ROOT, 'configs/biggan/*.py')))
WHITEN_C10 = osp.join(REPO_ROOT,
                      'configs/biggan/vkd-whiten-diffaug-biggan_1xb50_cifar10-10p-32x32.py')
STOCK_BIGGAN = 'mmagic::biggan/biggan_2xb25-500kiters_cifar10-32x32.py'


@pytest.fixture(scope='module')
def toy_cifar(tmp_path_factory):
    root = tmp_path_factory.mktemp('cifar')
    make_toy_cifar(str(root / 'cifar10'), 'cifar10', {'train': 40, 'test': 20})
    make_toy_cifar(str(root / 'cifar100'), 'cifar100', {'train': 40, 'test': 20})
    return str(root)


@pytest.fixture(scope='module')
def inception(tmp_path_factory):
    return save_tiny_inception(str(tmp_path_factory.mktemp('inception') / 'inception.pt'))


def test_translation_shifts_whole_images_with_zero_fill():
    torch.manual_seed(0)
    image = torch.arange(1., 65.).view(1, 1, 8, 8).repeat(16, 1, 1, 1)
    shifted = translate(image, ratio=0.25)
    for sample in shifted:
        # the kept pixels are an unchanged window of the original; the rest are zeros
        kept = sample[0][sample[0] > 0]
        assert kept.numel() >= 36
        assert set(kept.tolist()) <= set(range(1, 65))
    assert not torch.equal(shifted[0], shifted[1]) or not torch.equal(shifted[1], shifted[2])


def test_cutout_zeroes_one_square_at_most():
    torch.manual_seed(0)
    out = cutout(torch.ones(32, 3, 16, 16), ratio=0.5)
    zeros = (out[:, 0] == 0).sum((1, 2))
    assert (zeros <= 64).all() and (zeros > 0).all()
    assert torch.equal(out[:, 0], out[:, 2])


def test_diff_augment_is_differentiable_and_checks_the_policy():
    images = torch.randn(4, 3, 32, 32, requires_grad=True)
    DiffAugment('color,translation,cutout')(images).sum().backward()
    assert torch.isfinite(images.grad).all() and images.grad.abs().sum() > 0
    with pytest.raises(ValueError, match='unknown DiffAugment ops'):
        DiffAugment('translation,rotate')


def test_vkd_term_has_kd_dlgans_scale():
    """10 x the batch mean of the unsquared L2 distance (KD-DLGAN's weight and distance): each
    sample's gradient has norm 10 / B whatever the feature scale. Every V_kD config uses it."""
    from vkd_mm.hosts.mmagic import L2DistanceLoss
    student = torch.randn(50, 512, requires_grad=True)
    target = 30 * torch.randn(50, 512)
    loss = L2DistanceLoss()(student, target)
    torch.testing.assert_close(loss, 10 * (student - target).norm(dim=1).mean())
    loss.backward()
    torch.testing.assert_close(student.grad.norm(dim=1), torch.full((50, ), 10 / 50))
    for path in GAN_CONFIGS:
        model = Config.fromfile(path).model
        if model.get('teacher') is not None and not osp.basename(path).startswith('fitnet'):
            assert model.kd_loss == dict(type='L2DistanceLoss', loss_weight=10.0), path


def test_subset_is_kd_dlgans_draw():
    np.random.seed(0)
    expected = np.random.choice(50000, 5000, replace=False)
    np.testing.assert_array_equal(subset_indices(50000, 0.1, seed=0), expected)


def test_cifar100_subset_keeps_the_test_split_whole(toy_cifar):
    common = dict(data_prefix=osp.join(toy_cifar, 'cifar100'), verify_checksum=False, pipeline=[])
    train = CIFAR100Subset(test_mode=False, subset_ratio=0.25, **common)
    test = CIFAR100Subset(test_mode=True, subset_ratio=0.25, **common)
    assert len(train) == 10 and len(test) == 20
    assert len(train.metainfo['classes']) == 100


@pytest.mark.parametrize('path', GAN_CONFIGS, ids=lambda p: osp.basename(p))
def test_gan_config_builds(path):
    # NOTE the kind of config is read from its file name, never from the clone's folders
    name = osp.basename(path)
    cfg = Config.fromfile(path)
    with DefaultScope.overwrite_default_scope('mmagic'):
        model = MODELS.build(with_tiny_teacher(cfg.model))
    assert model.discriminator.num_classes == (100 if 'cifar100' in name else 10)
    if name.startswith(('vkd', 'fitnet', 'kddlgan')):
        assert model.teacher is not None
        assert not any(k.startswith('teacher') for k in model.state_dict())
        norm = ('BatchSampleWhiten' if 'whiten' in name else
                'SampleLayerNorm' if name.startswith('vkd-std') else 'Identity')
        assert type(model.vkd_pair.teacher_norm).__name__ == norm
        projector = ('LinearProjector' if name.startswith('fitnet') else
                     'Identity' if name.startswith('kddlgan') else 'OrthogonalProjector')
        assert type(model.discriminator.projector).__name__ == projector
        assert model.kd_cross_terms == name.startswith('kddlgan')
    else:
        assert model.teacher is None


def test_train_pipeline_flips_and_packs():
    """Each packed image is the (3, 32, 32) image or its horizontal mirror, both occur (flip
    ratio 0.5), and the label is packed with it."""
    from mmcv.transforms import Compose
    cfg = Config.fromfile(WHITEN_C10)
    np.random.seed(0)  # the flip draws from numpy's global generator
    image = np.random.randint(0, 256, (32, 32, 3), dtype=np.uint8)
    chw = torch.from_numpy(image).permute(2, 0, 1)
    flips = []
    with DefaultScope.overwrite_default_scope('mmagic'):
        pipeline = Compose(cfg.train_dataloader.dataset.pipeline)
        for _ in range(40):
            packed = pipeline(dict(gt=image.copy(), gt_label=3, gt_channel_order='RGB'))
            sample = packed['data_samples']
            assert sample.gt_label.label.tolist() == [3]
            flipped = torch.equal(sample.gt_img, chw.flip(-1))
            assert flipped or torch.equal(sample.gt_img, chw)
            flips.append(flipped)
    assert 5 < sum(flips) < 35, sum(flips)


def toy_run_cfg(path, toy_cifar, work_dir, inception, max_iters=8, kd_steps=None):
    """The config with toy data, tiny widths, a stand-in teacher and inception, and a short
    schedule, for the real MMEngine runner on CPU."""
    cfg = Config.fromfile(path)
    cfg.model = with_tiny_teacher(cfg.model)
    cfg.model.generator.base_channels = 16
    cfg.model.discriminator.base_channels = 16
    cfg.model.ema_config.start_iter = 1
    if cfg.model.get('lecam'):
        cfg.model.lecam.start_iter = 1
    if kd_steps is not None:
        cfg.model.kd_steps = kd_steps
    prefix = osp.join(toy_cifar, 'cifar100' if 'cifar100' in osp.basename(path) else 'cifar10')
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        cfg[loader].dataset.data_prefix = prefix
        cfg[loader].dataset.verify_checksum = False
        cfg[loader].update(batch_size=8, num_workers=0, persistent_workers=False)
    for metric in cfg.val_evaluator.metrics:
        metric.update(inception_path=inception, fake_nums=16)
        if metric.type in ('FrechetInceptionDistance', 'PrecisionRecallDensityCoverage'):
            metric.inception_pkl = osp.join(work_dir, f'real_{metric.prefix}.pkl')
    cfg.test_evaluator = cfg.val_evaluator
    cfg.train_cfg.update(max_iters=max_iters, val_interval=max_iters)
    cfg.default_hooks.checkpoint.interval = max_iters
    cfg.default_hooks.logger.interval = 1
    cfg.custom_hooks = []
    cfg.work_dir = work_dir
    return cfg


def test_vkd_whitened_run_trains_logs_and_evaluates(toy_cifar, inception, tmp_path):
    cfg = toy_run_cfg(
        WHITEN_C10, toy_cifar, str(tmp_path), inception, kd_steps=('discriminator', 'generator'))
    runner = Runner.from_cfg(cfg)
    projector = runner.model.discriminator.projector
    before = projector.weight.detach().clone()
    runner.train()

    scalars = runner.message_hub.log_scalars
    for key in ('loss_disc_fake', 'loss_disc_real', 'loss_lecam', 'loss_vkd_fake', 'loss_vkd_real',
                'loss_gen', 'loss_vkd_gen_fake'):
        assert f'train/{key}' in scalars, key
        assert np.isfinite(scalars[f'train/{key}'].current()), key
    after = projector.weight.detach()
    assert not torch.allclose(before, after)
    eye = torch.eye(after.shape[1])
    assert (after.t() @ after - eye).abs().max() < 1e-4
    # FID / IS / PRDC through MMagic's evaluation (stand-in inception) at the end of training:
    # 16 fakes against the 20 real test images
    assert any(k.startswith('val/FID-10k') for k in scalars)
    assert any(k.startswith('val/IS-10k') for k in scalars)
    for key in ('precision', 'recall', 'density', 'coverage'):
        value = scalars[f'val/PRDC-10k/{key}'].current()
        # shares lie in [0, 1]; density at most 20 / k (a fake inside all 20 real balls)
        assert 0 <= value <= (20 / 5 if key == 'density' else 1), key
    assert osp.isfile(osp.join(str(tmp_path), 'real_PRDC-10k.pkl'))


@pytest.mark.parametrize('path', GAN_CONFIGS, ids=lambda p: osp.basename(p))
def test_gan_config_takes_a_training_step(path):
    """One ``train_step`` of the config's model (stand-in teacher, widths 16) with the config's
    optimisers on a batch of 4 toy images through the config's pipeline: a discriminator and a
    generator update (D steps set to 1), every loss finite."""
    from mmcv.transforms import Compose
    from mmengine.dataset import pseudo_collate
    from mmengine.logging import MessageHub
    from mmengine.optim import build_optim_wrapper
    cfg = Config.fromfile(path)
    model_cfg = with_tiny_teacher(cfg.model)
    model_cfg.generator.base_channels = model_cfg.discriminator.base_channels = 16
    model_cfg.discriminator_steps = 1
    MessageHub.get_current_instance().update_info('iter', 0)
    with DefaultScope.overwrite_default_scope('mmagic'):
        model = MODELS.build(model_cfg)
        optim_wrapper = build_optim_wrapper(model, cfg.optim_wrapper)
        pipeline = Compose(cfg.train_dataloader.dataset.pipeline)
        batch = pseudo_collate([
            pipeline(
                dict(
                    gt=np.random.randint(0, 256, (32, 32, 3), dtype=np.uint8),
                    gt_label=label,
                    gt_channel_order='RGB')) for label in range(4)
        ])
        log_vars = model.train_step(batch, optim_wrapper)
    assert 'loss_disc_real' in log_vars and 'loss_gen' in log_vars
    if model.teacher is not None:
        assert 'loss_vkd_real' in log_vars and 'loss_vkd_fake' in log_vars
    assert all(torch.isfinite(torch.as_tensor(v)).all() for v in log_vars.values()), log_vars


def test_cross_terms_pull_both_halves_to_each_teacher_feature():
    """KD-DLGAN: loss_vkd_real = d(s_real, t_real) + d(s_fake, t_real), likewise for fake."""
    cfg = Config.fromfile(
        osp.join(REPO_ROOT, 'configs/biggan/kddlgan-diffaug-biggan_1xb50_cifar10-10p-32x32.py'))
    with DefaultScope.overwrite_default_scope('mmagic'):
        model = MODELS.build(with_tiny_teacher(cfg.model))
    torch.manual_seed(0)
    images, projected = torch.randn(8, 3, 32, 32), torch.randn(8, 512)
    losses = model.vkd_losses(images, projected, ('fake', 'real'))
    fake_t, real_t = model.teacher_features(images).chunk(2)
    fake_s, real_s = projected.chunk(2)

    def distance(a, b):
        return 10 * (a - b).norm(dim=1).mean()

    torch.testing.assert_close(losses['loss_vkd_real'],
                               distance(real_s, real_t) + distance(fake_s, real_t))
    torch.testing.assert_close(losses['loss_vkd_fake'],
                               distance(fake_s, fake_t) + distance(real_s, fake_t))
    model.kd_cross_terms = False
    torch.testing.assert_close(
        model.vkd_losses(images, projected, ('fake', 'real'))['loss_vkd_real'],
        distance(real_s, real_t))


def test_no_projector_needs_the_teacher_width():
    from vkd_mm.hosts.mmagic import VkDBigGANDiscriminator
    with pytest.raises(ValueError, match='kd_channels=256 but teacher_channels=512'):
        VkDBigGANDiscriminator(
            input_scale=32, num_classes=10, base_channels=16, kd_channels=256, projector=None)


def test_kd_steps_pick_where_the_term_goes(toy_cifar, inception, tmp_path):
    cfg = toy_run_cfg(
        WHITEN_C10.replace('vkd-whiten-', 'vkd-'), toy_cifar, str(tmp_path), inception, max_iters=4)
    cfg.val_cfg = cfg.val_dataloader = cfg.val_evaluator = None
    runner = Runner.from_cfg(cfg)
    runner.train()
    scalars = runner.message_hub.log_scalars
    assert 'train/loss_vkd_real' in scalars and 'train/loss_vkd_gen_fake' not in scalars


def test_baseline_has_no_teacher_and_exports_into_the_stock_config(toy_cifar, inception, tmp_path):
    path = osp.join(REPO_ROOT, 'configs/biggan/diffaug-biggan_1xb50_cifar10-10p-32x32.py')
    cfg = toy_run_cfg(path, toy_cifar, str(tmp_path), inception, max_iters=4)
    cfg.model.generator.base_channels = 64
    cfg.model.discriminator.base_channels = 64
    cfg.val_cfg = cfg.val_dataloader = cfg.val_evaluator = None
    runner = Runner.from_cfg(cfg)
    runner.train()
    assert 'train/loss_disc_real' in runner.message_hub.log_scalars

    exported = str(tmp_path / 'generator.pth')
    result = subprocess.run(
        [sys.executable, 'tools/export_generator.py',
         str(tmp_path / 'iter_4.pth'), exported],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    state = torch.load(exported, weights_only=False)['state_dict']
    assert state and all(k.startswith(('generator.', 'generator_ema.')) for k in state)

    stock_cfg = get_config(STOCK_BIGGAN)
    with DefaultScope.overwrite_default_scope('mmagic'):
        stock = MODELS.build(stock_cfg.model)
    load_checkpoint(stock, exported, strict=False)
    trained = runner.model
    noise = torch.randn(2, 128)
    labels = torch.tensor([1, 7])
    trained.eval(), stock.eval()
    with torch.no_grad():
        torch.testing.assert_close(
            stock.generator_ema(noise, label=labels), trained.generator_ema(noise, label=labels))


def run_dist_train(config: str, work_dir: str, port: str, *extra: str) -> str:
    env = dict(
        os.environ,
        PORT=port,
        PATH=osp.dirname(sys.executable) + os.pathsep + os.environ.get('PATH', ''))
    result = subprocess.run(
        ['bash', 'tools/dist_train.sh', config, '2', '--work-dir', work_dir, *extra],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        env=env)
    log = result.stdout + result.stderr
    assert result.returncode == 0, log[-4000:]
    return log


def test_two_process_gloo_training_resumes(toy_cifar, inception, tmp_path):
    """tools/dist_train.sh, 2 CPU processes: MMagic's MMSeparateDistributedDataParallel wraps
    G and D (the projector runs inside D's forward), past a generator step, with FID / IS on
    the gathered samples, then --resume from the checkpoint; the teacher features are whitened
    with a running covariance averaged over the processes, which resumes too."""
    work_dir = str(tmp_path / 'work')
    cfg = toy_run_cfg(WHITEN_C10, toy_cifar, work_dir, inception, max_iters=8)
    cfg.model.teacher_norm = dict(type='RunningWhiten', channels=512)
    config = str(tmp_path / 'vkd_gan_ddp.py')
    cfg.dump(config)
    log = run_dist_train(config, work_dir, '29623')
    assert 'Distributed training: True' in log
    assert 'MMSeparateDistributedDataParallel' in log
    for key in ('loss_vkd_fake', 'loss_vkd_real', 'loss_gen', 'FID-10k/fid', 'IS-10k/is'):
        assert key in log, key
    assert osp.isfile(osp.join(work_dir, 'iter_8.pth'))

    log = run_dist_train(config, work_dir, '29624', '--resume', '--cfg-options',
                         'train_cfg.max_iters=12')
    assert 'resumed epoch: 0, iter: 8' in log and 'Iter(train) [12/12]' in log
    checkpoint = torch.load(
        osp.join(work_dir, 'iter_12.pth'), map_location='cpu', weights_only=False)
    assert checkpoint['meta']['iter'] == 12
    # fake and real are whitened in each of the 12 discriminator steps
    assert int(checkpoint['state_dict']['vkd_pair.teacher_norm.num_batches_tracked']) == 24
