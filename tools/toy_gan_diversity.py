"""Short data-limited BigGAN runs on toy CIFAR-format shapes: the DiffAugment baseline and + V_kD
with the teacher features as they are, standardised and whitened, then diversity statistics of
each generator's samples.

No weights can be downloaded here, so the teacher is a randomly initialised CLIP-architecture
image tower (a stand-in with CLIP ViT-B/32's 512-d output), and the statistics use a second,
independently initialised one: the mean pairwise cosine similarity of the encoder features of
``--samples`` EMA-generator images (lower = more diverse), next to the same statistic for real
training images, and the precision, recall, density and coverage (k = 5) of those features
against as many real training images. Each run uses the shipped CIFAR-10 10 % configs with toy
data, narrower networks and ``--iters`` MMagic iterations (one D step each; G every 4th).

Usage: python tools/toy_gan_diversity.py [--iters 200] [--samples 200] [--work-dir ...]
"""
import argparse
import os.path as osp

import torch
import torch.nn.functional as F
from mmengine.registry import DefaultScope

import vkd_mm  # noqa: F401
from vkd_mm.datasets import make_toy_cifar
from vkd_mm.experiments import markdown_header, markdown_row, train_in_process
from vkd_mm.experiments.gan_toy import run_cfg, stand_in_clip
from vkd_mm.hosts.mmagic import CIFAR10Subset, prdc
from vkd_mm.registry import MODELS

VARIANTS = (('DiffAugment baseline', 'diffaug-biggan_1xb50_cifar10-10p-32x32.py'),
            ('+ V_kD (no normalisation)', 'vkd-diffaug-biggan_1xb50_cifar10-10p-32x32.py'),
            ('+ V_kD, standardised teacher', 'vkd-std-diffaug-biggan_1xb50_cifar10-10p-32x32.py'),
            ('+ V_kD, whitened teacher', 'vkd-whiten-diffaug-biggan_1xb50_cifar10-10p-32x32.py'))


def encode(encoder, images):
    """Encoder features (N, 512) of images in [-1, 1] (BGR, as the GAN makes them)."""
    with torch.no_grad():
        return encoder(images)


def mean_pairwise_cosine(features):
    """Mean cosine similarity over all pairs i != j of the features (N, D)."""
    features = F.normalize(features, dim=1)
    similarity = features @ features.t()
    count = len(features)
    return ((similarity.sum() - similarity.diagonal().sum()) / (count * (count - 1))).item()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--iters', type=int, default=200)
    parser.add_argument('--samples', type=int, default=200)
    parser.add_argument('--train-images', type=int, default=500)
    parser.add_argument('--work-dir', default='work_dirs/toy_gan_diversity')
    args = parser.parse_args()
    work = osp.abspath(args.work_dir)
    data_prefix = make_toy_cifar(
        osp.join(work, 'data/cifar10'), 'cifar10', {
            'train': args.train_images,
            'test': 50
        })
    with DefaultScope.overwrite_default_scope('mmagic'):
        encoder = MODELS.build(dict(type='FrozenImageTeacher', encoder=stand_in_clip(1)))
    real = CIFAR10Subset(
        data_prefix=data_prefix, test_mode=False, verify_checksum=False, pipeline=[])
    real_imgs = torch.stack([
        torch.from_numpy(real[i]['gt'][:, :, ::-1].copy()) for i in range(args.samples)
    ]).permute(0, 3, 1, 2)
    real_features = encode(encoder, real_imgs.float() / 127.5 - 1)
    rows = [('real training images', mean_pairwise_cosine(real_features), None)]
    for name, config in VARIANTS:
        model = train_in_process(
            run_cfg(config, data_prefix, osp.join(work, config[:-3]), args.iters)).model
        model.eval()
        torch.manual_seed(123)
        with torch.no_grad():
            noise = torch.randn(args.samples, 128)
            labels = torch.randint(0, 10, (args.samples, ))
            fakes = model.generator_ema(noise, label=labels)
        fake_features = encode(encoder, fakes)
        rows.append(
            (name, mean_pairwise_cosine(fake_features), prdc(real_features, fake_features, k=5)))
    print(f'\nToy CIFAR-format shapes ({args.train_images} training images), {args.iters} '
          f'iterations per run; under an independent random CLIP-architecture encoder, the mean '
          f'pairwise cosine similarity of {args.samples} samples (lower = more diverse) and '
          f'their precision / recall / density / coverage (k = 5) against {args.samples} '
          'training images:')
    print(
        markdown_header(
            ['images', 'mean pairwise cosine', 'precision', 'recall', 'density', 'coverage']))
    for name, value, scores in rows:
        columns = ['-'] * 4 if scores is None else [
            f'{scores[key]:.3f}' for key in ('precision', 'recall', 'density', 'coverage')
        ]
        print(markdown_row([name, f'{value:.4f}', *columns]))


if __name__ == '__main__':
    main()
