"""Size of the V_kD term's gradient on the BigGAN discriminator against the hinge term's.

Trains the shipped CIFAR-10 10 % V_kD config (unnormalised teacher) on toy CIFAR-format shapes
for ``--iters`` MMagic iterations with the settings of tools/toy_gan_diversity.py (a randomly
initialised CLIP-architecture stand-in teacher, 16-channel G and D), once per V_kD loss, and
reports the L2 norm of the gradient that each discriminator-step term sends into D's shared
trunk (every D parameter except the KD head and the projector) and into all of D, as medians
over ``--batches`` batches, at the start and at the end of training.

Loss variants: the KD-DLGAN scale the configs now use (10 x mean L2 distance) and the earlier
smooth-L1 (mean, weight 1).

Usage: python benchmarks/gan_kd_gradients.py [--iters 200] [--batches 5] [--work-dir ...]
"""
import argparse
import os.path as osp
import statistics
from typing import Dict, List

import torch
import torch.nn.functional as F
from mmengine.config import Config

import vkd_mm  # noqa: F401
from vkd_mm.datasets import make_toy_cifar
from vkd_mm.experiments import build_runner, markdown_header, markdown_row
from vkd_mm.experiments.gan_toy import run_cfg

CONFIG = 'vkd-diffaug-biggan_1xb50_cifar10-10p-32x32.py'  # in configs/biggan
LOSSES = {
    '10 x mean L2 distance (KD-DLGAN scale, shipped)':
    dict(type='L2DistanceLoss', loss_weight=10.0),
    'smooth-L1, mean, weight 1 (before)': dict(type='VkDLoss', mode='smooth_l1', loss_weight=1.0),
}


def build_cfg(kd_loss: dict, data_prefix: str, work_dir: str, iters: int) -> Config:
    """The toy-diversity run of :data:`CONFIG` (tools/toy_gan_diversity.py) with ``kd_loss``."""
    cfg = run_cfg(CONFIG, data_prefix, work_dir, iters)
    cfg.model.kd_loss = kd_loss
    return cfg


def discriminator_terms(model, data: dict) -> Dict[str, torch.Tensor]:
    """The discriminator step's loss terms, as VkDBigGAN.train_discriminator computes them."""
    data = model.data_preprocessor(data, True)
    samples = data['data_samples']
    real = samples.gt_img
    batch = real.shape[0]
    fake_labels = model.label_fn(num_batches=batch)
    with torch.no_grad():
        fake = model.generator(
            noise=model.noise_fn(num_batches=batch), label=fake_labels, return_noise=False)
    images = model.diff_augment(torch.cat([fake, real]))
    labels = torch.cat([fake_labels.view(-1), model.data_sample_to_label(samples).view(-1)])
    preds, projected = model.discriminator(images, label=labels, return_features=True)
    pred_fake, pred_real = preds.split(batch)
    terms = dict(hinge=F.relu(1 + pred_fake).mean() + F.relu(1 - pred_real).mean())
    kd = model.vkd_losses(images, projected, ('fake', 'real'))
    terms['vkd'] = kd['loss_vkd_fake'] + kd['loss_vkd_real']
    return terms


def gradient_norms(model, loader, batches: int) -> Dict[str, List[float]]:
    trunk = [
        p for n, p in model.discriminator.named_parameters()
        if not n.startswith(('kd_head', 'projector'))
    ]
    every = list(model.discriminator.parameters())
    norms: Dict[str, List[float]] = {}
    for index, data in enumerate(loader):
        if index == batches:
            break
        terms = discriminator_terms(model, data)
        for name, value in terms.items():
            for where, params in (('trunk', trunk), ('all of D', every)):
                grads = torch.autograd.grad(value, params, retain_graph=True, allow_unused=True)
                norm = torch.sqrt(sum(g.square().sum() for g in grads if g is not None))
                norms.setdefault(f'{name} | {where}', []).append(norm.item())
            norms.setdefault(f'{name} | value', []).append(value.item())
    return norms


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--iters', type=int, default=200)
    parser.add_argument('--batches', type=int, default=5)
    parser.add_argument('--work-dir', default='work_dirs/gan_kd_gradients')
    args = parser.parse_args()
    work = osp.abspath(args.work_dir)
    data_prefix = make_toy_cifar(
        osp.join(work, 'data/cifar10'), 'cifar10', {
            'train': 500,
            'test': 50
        })
    print(
        markdown_header([
            'V_kD loss', 'when', 'hinge value', 'V_kD value', '||grad hinge|| trunk',
            '||grad V_kD|| trunk', 'V_kD / hinge (trunk)', 'V_kD / hinge (all of D)'
        ]))
    for label, kd_loss in LOSSES.items():
        runner = build_runner(
            build_cfg(kd_loss, data_prefix, osp.join(work, kd_loss['type']), args.iters))
        rows = [('iteration 0',
                 gradient_norms(runner.model, runner.build_dataloader(runner.cfg.train_dataloader),
                                args.batches))]
        model = runner.train()
        rows.append((f'iteration {args.iters}',
                     gradient_norms(model, runner.build_dataloader(runner.cfg.train_dataloader),
                                    args.batches)))
        for when, norms in rows:
            med = {key: statistics.median(values) for key, values in norms.items()}
            print(
                markdown_row([
                    label, when, f"{med['hinge | value']:.3f}", f"{med['vkd | value']:.3f}",
                    f"{med['hinge | trunk']:.3g}", f"{med['vkd | trunk']:.3g}",
                    f"{med['vkd | trunk'] / med['hinge | trunk']:.3g}",
                    f"{med['vkd | all of D'] / med['hinge | all of D']:.3g}"
                ]),
                flush=True)


if __name__ == '__main__':
    main()
