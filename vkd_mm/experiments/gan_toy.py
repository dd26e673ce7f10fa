"""The short BigGAN runs of tools/toy_gan_diversity.py and benchmarks/gan_kd_gradients.py: the
shipped CIFAR-10 10 % configs on toy CIFAR-format data, with narrower networks and a randomly
initialised CLIP-architecture stand-in teacher (no weights can be downloaded)."""
import os.path as osp

import torch
from mmengine.config import Config

from .paths import project_root

__all__ = ['stand_in_clip', 'run_cfg']


def stand_in_clip(seed: int) -> dict:
    """The config of a CLIP-architecture image tower with CLIP ViT-B/32's 512-d output, small
    enough for CPU; seeds torch's generator with ``seed`` so that it builds alike every time."""
    torch.manual_seed(seed)
    return dict(
        type='CLIPImageEncoder',
        config=dict(
            hidden_size=64,
            intermediate_size=128,
            num_hidden_layers=2,
            num_attention_heads=4,
            image_size=32,
            patch_size=4,
            projection_dim=512))


def run_cfg(config: str, data_prefix: str, work_dir: str, iters: int) -> Config:
    """``configs/biggan/<config>`` for ``iters`` iterations on the CIFAR-format data at
    ``data_prefix``: 16-channel G and D, the stand-in teacher, no evaluation, a checkpoint at
    the end."""
    cfg = Config.fromfile(osp.join(project_root(), 'configs/biggan', config))
    if cfg.model.get('teacher') is not None:
        cfg.model.teacher.encoder = stand_in_clip(0)
    cfg.model.generator.base_channels = 16
    cfg.model.discriminator.base_channels = 16
    cfg.model.ema_config.start_iter = 10
    cfg.model.lecam.start_iter = 10
    cfg.train_dataloader.dataset.update(
        data_prefix=data_prefix, verify_checksum=False, subset_ratio=None)
    cfg.train_dataloader.update(num_workers=0, persistent_workers=False)
    cfg.val_cfg = cfg.val_dataloader = cfg.val_evaluator = None
    cfg.test_cfg = cfg.test_dataloader = cfg.test_evaluator = None
    cfg.train_cfg = dict(by_epoch=False, max_iters=iters)
    cfg.default_hooks.checkpoint = dict(type='CheckpointHook', interval=iters, by_epoch=False)
    cfg.default_hooks.logger.interval = 50
    cfg.custom_hooks = []
    cfg.work_dir = work_dir
    return cfg
