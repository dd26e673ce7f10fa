# Data-limited BigGAN on CIFAR at 32 x 32 with DiffAugment and LeCam: KD-DLGAN's recipe (its
# scripts/lc-DiffAugment-biggan-cifar*.sh) on MMagic's BigGAN. Batch 50 on one GPU; D trains
# every iteration and G every 4th (one MMagic iteration = one D step, so 4 x KD-DLGAN's
# iterations); Adam 2e-4, betas (0, 0.999) for both; EMA of G (decay 0.9999 from G-step 1000);
# DiffAugment 'translation,cutout' on real and fake; LeCam 0.3; real images flipped. FID and IS
# on the test split with 10k samples of the EMA generator, the best FID over training kept; with
# them improved precision / recall and density / coverage (k = 5) on the same Inception features.
# Data: CIFAR python files under data/cifar10 (or data/cifar100), no download.
# Inception: Tero's TorchScript inception-2015-12-05.pt at a local path (`inception_path`).
_base_ = ['mmagic::biggan/biggan_2xb25-500kiters_cifar10-32x32.py']

custom_imports = dict(imports=['vkd_mm'], allow_failed_imports=False)

inception_path = 'checkpoints/inception-2015-12-05.pt'

model = dict(
    type='VkDBigGAN',
    diff_augment=dict(type='DiffAugment', policy='translation,cutout'),
    lecam=dict(weight=0.3, decay=0.9, start_iter=1000))

train_pipeline = [
    dict(type='Flip', keys=['gt'], flip_ratio=0.5, direction='horizontal'),
    dict(type='PackInputs')
]
train_dataset = dict(
    type='CIFAR10Subset',
    data_root='data',
    data_prefix='cifar10',
    test_mode=False,
    subset_ratio=None,
    subset_seed=0,
    pipeline=train_pipeline)
test_dataset = dict(
    type='CIFAR10Subset',
    data_root='data',
    data_prefix='cifar10',
    test_mode=True,
    pipeline=[dict(type='PackInputs')])
train_dataloader = dict(batch_size=50, num_workers=4, dataset=train_dataset)
val_dataloader = dict(batch_size=50, num_workers=4, dataset=test_dataset)
test_dataloader = dict(batch_size=50, num_workers=4, dataset=test_dataset)

metrics = [
    dict(
        type='FrechetInceptionDistance',
        prefix='FID-10k',
        fake_nums=10000,
        inception_style='StyleGAN',
        inception_path=inception_path,
        sample_model='ema'),
    dict(
        type='IS',
        prefix='IS-10k',
        fake_nums=10000,
        inception_style='StyleGAN',
        inception_path=inception_path,
        sample_model='ema'),
    dict(
        type='PrecisionRecallDensityCoverage',
        prefix='PRDC-10k',
        fake_nums=10000,
        k=5,
        inception_style='StyleGAN',
        inception_path=inception_path,
        sample_model='ema')
]
val_evaluator = dict(metrics=metrics)
test_evaluator = dict(metrics=metrics)

# KD-DLGAN evaluates every 4000 G-steps
train_cfg = dict(max_iters=500000, val_interval=16000)
default_hooks = dict(
    checkpoint=dict(
        interval=16000,
        save_best=['FID-10k/fid', 'IS-10k/is'],
        rule=['less', 'greater'],
        less_keys=['FID-10k/fid'],
        greater_keys=['IS-10k/is']))
randomness = dict(seed=0)
