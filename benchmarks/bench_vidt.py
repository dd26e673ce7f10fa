"""ViDT Swin-nano on CPU at 640 x 640: forward time, train-step time, and the V_kD step against
the plain step.

Steps, all at batch 2 (the recipe's images per GPU) on 640 x 640 images with two boxes each:
- forward: ``mode='tensor'`` under ``no_grad`` (eval mode);
- plain step: ``mode='loss'``, backward and an AdamW step of the student alone;
- V_kD step: the same with the distiller of configs/vidt_swin_nano_vkd.py, i.e. plus the frozen
  teacher's forward and the 6 token pairs (orthogonal projectors, standardisation, smooth-L1);
- the teacher's forward alone, the part of the V_kD step that no projector choice changes;
and the V_kD step over (plain step + teacher forward): what the 6 token pairs add.
The variants are timed interleaved (one step of each per round) and medians reported.

Usage: python benchmarks/bench_vidt.py [--teacher base] [--rounds 3] [--size 640]
"""
import argparse
import os.path as osp
import statistics
import time

import torch
from mmdet.registry import MODELS
from mmdet.structures import DetDataSample
from mmdet.utils import register_all_modules
from mmengine.config import Config
from mmengine.logging import MMLogger
from mmengine.structures import InstanceData

import vkd_mm  # noqa: F401

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
NANO = osp.join(REPO, 'configs/vidt/vidt_swin-nano_8xb2-50e_coco.py')
VKD = osp.join(REPO, 'configs/vidt_swin_nano_vkd.py')


def batch(size, images=2):
    inputs = torch.randn(images, 3, size, size)
    samples = []
    for _ in range(images):
        sample = DetDataSample(
            metainfo=dict(
                img_shape=(size, size),
                batch_input_shape=(size, size),
                ori_shape=(size, size),
                scale_factor=(1., 1.)))
        sample.gt_instances = InstanceData(
            bboxes=torch.tensor([[20., 30., 300., 400.], [350., 100., 600., 620.]]),
            labels=torch.tensor([0, 17]))
        samples.append(sample)
    return inputs, samples


def train_step(model, optimizer, inputs, samples):
    losses = model(inputs, samples, mode='loss')
    optimizer.zero_grad()
    sum(losses.values()).backward()
    optimizer.step()


def build_models(teacher: str = 'base', orthogonal_map: str = 'matrix_exp'):
    """ViDT Swin-nano alone and the distiller of configs/vidt_swin_nano_vkd.py with the ViDT
    Swin-``teacher`` (random weights, no checkpoints), both initialised."""
    register_all_modules()
    MMLogger.get_current_instance().setLevel('WARNING')  # no init-weights report
    student_cfg = Config.fromfile(NANO).model
    student_cfg.backbone.init_cfg = None
    student = MODELS.build(student_cfg)
    student.init_weights()
    vkd_cfg = Config.fromfile(VKD).model
    vkd_cfg.student.backbone.init_cfg = None
    vkd_cfg.teacher = osp.join(REPO, f'configs/vidt/vidt_swin-{teacher}_8xb2-50e_coco.py')
    vkd_cfg.teacher_ckpt = None
    for pair in vkd_cfg.distill:
        pair.projector.orthogonal_map = orthogonal_map
    distiller = MODELS.build(vkd_cfg)
    distiller.init_weights()
    return student, distiller


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--teacher', default='base', choices=['nano', 'tiny', 'small', 'base'])
    parser.add_argument(
        '--orthogonal-map',
        default='matrix_exp',
        choices=['matrix_exp', 'cholesky_qr', 'householder_qr'])
    parser.add_argument('--rounds', type=int, default=3)
    parser.add_argument('--size', type=int, default=640)
    args = parser.parse_args()
    torch.manual_seed(0)
    student, distiller = build_models(args.teacher, args.orthogonal_map)
    inputs, samples = batch(args.size)
    plain_opt = torch.optim.AdamW(student.parameters(), lr=1e-4)
    vkd_opt = torch.optim.AdamW([p for p in distiller.parameters() if p.requires_grad], lr=1e-4)

    def forward():
        student.eval()
        with torch.no_grad():
            student(inputs, samples, mode='tensor')
        student.train()

    variants = {
        'forward (student)': forward,
        'plain train step': lambda: train_step(student.train(), plain_opt, inputs, samples),
        'V_kD train step': lambda: train_step(distiller.train(), vkd_opt, inputs, samples),
        'teacher forward alone': lambda: distiller.forward_teacher(inputs, samples),
    }
    for run in variants.values():  # warm-up
        run()
    times = {name: [] for name in variants}
    for _ in range(args.rounds):
        for name, run in variants.items():
            start = time.perf_counter()
            run()
            times[name].append(time.perf_counter() - start)
    medians = {name: statistics.median(t) for name, t in times.items()}
    print(f'ViDT Swin-nano, batch 2 at {args.size}x{args.size}, CPU threads '
          f'{torch.get_num_threads()}, teacher ViDT Swin-{args.teacher}, '
          f'projectors {args.orthogonal_map}, median of {args.rounds}')
    print('| step | time (s) | vs plain step |\n|---|---|---|')
    plain = medians['plain train step']
    for name, median in medians.items():
        print(f'| {name} | {median:.2f} | {median / plain:.2f}x |')
    pairs = medians['V_kD train step'] / (plain + medians['teacher forward alone'])
    print(f'\nV_kD step / (plain step + teacher forward): {pairs:.3f} (the token pairs\' '
          'projectors, normalisers and losses, forward and backward, and the hooks)')


if __name__ == '__main__':
    main()
