"""WKD-L forward + backward: vkd_mm's shared-cost form against the official per-sample form.

The official algorithm (JiamingLv/WKD, ``WKD.py``) deletes the target class from every sample,
so it builds B x (n-1) x (n-1) costs, kernels and plans. vkd_mm shares one n x n kernel and
zeroes the target in the marginals. Each variant runs in a fresh subprocess, so its peak memory
is its own: after one untimed warm-up step, the table gives the median time of ``--repeats``
steps and the peak memory above the process's baseline (inputs and kernels made): resident
memory on the CPU, allocated memory on a GPU. It also gives the largest differences between the
two losses and between the two gradients (first 1000 entries).

Usage: python benchmarks/bench_wkd.py [--repeats 5] [--device cpu|cuda]
"""
import argparse
import json
import resource
import statistics
import subprocess
import sys
import time

import torch
from torch.nn import functional as F

from vkd_mm.models.losses import wkd_logit_loss

SETTINGS = ((256, 1000), (64, 100))
TEMPERATURE, EPS, ITERATIONS = 2.0, 0.05, 10


def official_dense(student_logits, teacher_logits, labels, cost, temperature, eps, iterations):
    """The official per-sample algorithm, batched with bmm as in WKD.py."""
    batch, classes = student_logits.shape
    target = F.one_hot(labels, classes).bool()
    loss_target = -(F.softmax(teacher_logits, 1)[target] *
                    F.log_softmax(student_logits, 1)[target]).mean()
    keep = ~target
    student = student_logits[keep].reshape(batch, classes - 1)
    teacher = teacher_logits[keep].reshape(batch, classes - 1)
    pair_mask = keep[:, :, None] & keep[:, None, :]
    cost = cost.repeat(batch, 1, 1)[pair_mask].reshape(batch, classes - 1, classes - 1)
    p = F.softmax(student / temperature, 1)[:, :, None]
    q = F.softmax(teacher / temperature, 1)[:, :, None]
    cost = F.relu(cost) + 1e-8
    kernel = torch.exp(-cost / eps)
    u = torch.ones_like(p) / (classes - 1)
    for _ in range(iterations):
        v = q / (torch.bmm(kernel.transpose(1, 2), u) + 1e-8)
        u = p / (torch.bmm(kernel, v) + 1e-8)
    flow = u * kernel * v.transpose(1, 2)
    return loss_target, (flow * cost).sum((1, 2)).mean()


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def worker(variant: str, batch: int, classes: int, repeats: int, device: str) -> None:
    torch.manual_seed(0)
    cost = 1 - torch.exp(-torch.rand(classes, classes))
    cost = (cost + cost.t()) / 2
    cost.fill_diagonal_(0)
    cost = cost.to(device)
    student = (torch.randn(batch, classes, device=device) * 3).requires_grad_()
    teacher = torch.randn(batch, classes, device=device) * 3
    labels = torch.randint(0, classes, (batch, ), device=device)
    shared_cost = cost.clamp_min(0) + 1e-8
    kernel = torch.exp(-shared_cost / EPS)
    kernel_cost = kernel * shared_cost
    cuda = device.startswith('cuda')

    def step():
        student.grad = None
        if variant == 'dense':
            loss_target, distance = official_dense(student, teacher, labels, cost, TEMPERATURE, EPS,
                                                   ITERATIONS)
        else:
            loss_target, distance = wkd_logit_loss(student, teacher, labels, kernel, kernel_cost,
                                                   TEMPERATURE, ITERATIONS)
        loss = loss_target + distance
        loss.backward()
        return loss.item()

    if cuda:
        torch.cuda.synchronize()
        baseline = torch.cuda.memory_allocated()
        torch.cuda.reset_peak_memory_stats()
    else:
        baseline = peak_rss_mb()
    step()
    times, losses = [], []
    for _ in range(repeats):
        start = time.perf_counter()
        losses.append(step())
        if cuda:
            torch.cuda.synchronize()
        times.append(time.perf_counter() - start)
    peak_mb = (torch.cuda.max_memory_allocated() - baseline) / 2**20 if cuda else \
        peak_rss_mb() - baseline
    print(
        json.dumps(
            dict(
                time=statistics.median(times),
                peak_mb=peak_mb,
                loss=losses[-1],
                grad=student.grad.flatten()[:1000].tolist())))


def run_worker(variant: str, batch: int, classes: int, repeats: int, device: str) -> dict:
    result = subprocess.run([
        sys.executable, __file__, '--worker', variant,
        str(batch),
        str(classes), '--repeats',
        str(repeats), '--device', device
    ],
                            capture_output=True,
                            text=True,
                            check=True)
    return json.loads(result.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--worker', nargs=3, metavar=('VARIANT', 'B', 'N'))
    parser.add_argument('--repeats', type=int, default=5)
    parser.add_argument('--device', default='cpu', help="'cpu' or 'cuda'")
    args = parser.parse_args()
    if args.worker:
        variant, batch, classes = args.worker
        worker(variant, int(batch), int(classes), args.repeats, args.device)
        return
    where = torch.cuda.get_device_name() if args.device.startswith('cuda') else \
        f'CPU, {torch.get_num_threads()} threads'
    print(f'torch {torch.__version__}, {where}, T={TEMPERATURE}, eps={EPS}, '
          f'{ITERATIONS} Sinkhorn iterations, medians of {args.repeats} after a warm-up step\n')
    print('| B | n | dense (official) | shared (vkd_mm) | speed-up | dense peak | shared peak '
          '| memory ratio | loss diff | grad diff |')
    print('|---|---|---|---|---|---|---|---|---|---|')
    for batch, classes in SETTINGS:
        dense = run_worker('dense', batch, classes, args.repeats, args.device)
        shared = run_worker('shared', batch, classes, args.repeats, args.device)
        grad_diff = max(abs(a - b) for a, b in zip(dense['grad'], shared['grad']))
        print(f"| {batch} | {classes} | {dense['time'] * 1e3:.1f} ms | "
              f"{shared['time'] * 1e3:.2f} ms | {dense['time'] / shared['time']:.0f}x | "
              f"{dense['peak_mb']:.0f} MB | {shared['peak_mb']:.1f} MB | "
              f"{dense['peak_mb'] / max(shared['peak_mb'], 0.1):.0f}x | "
              f"{abs(dense['loss'] - shared['loss']):.1e} | {grad_diff:.1e} |")


if __name__ == '__main__':
    main()
