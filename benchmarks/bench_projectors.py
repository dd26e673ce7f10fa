"""Cost of the orthogonal projector maps against a linear layer, measured side by side.

Part 1: forward + backward of projector + smooth-L1 for one batch (B=256) at the widths of the
paper's pairs (DeiT-Ti/S -> RegNetY-160: 192/384 -> 3024; ViDT tokens: 256 -> 256; and the wide
case 3024 -> 192), for a linear layer, the official code's map (torch's default orthogonal
parametrization) and each vkd_mm map: ``matrix_exp`` (the paper's map, thin form) next to
``matrix_exp_full`` (the same exponential from the literal n x n generator). Variants run
interleaved, round after round, so that load changes on the machine hit them alike; the table
gives medians, and for ``matrix_exp`` and ``cholesky_qr`` the FLOP count of the map over the
linear layer's (products, solves and factorisations; float64 counted as float32), i.e. the best
ratio a FLOP-bound run can reach.

Part 2: one whole distillation step (DeiT-Ti student forward/backward, RegNetY-160 teacher
forward under no_grad, pooled 192 -> 3024 projection, layer-norm target, smooth-L1, AdamW step)
with a linear projector and the maps of --step-maps, as a ratio to the step with the linear one.

With --profile, only torch.profiler's table of one forward + backward of ``matrix_exp`` and of
the linear layer at 192 -> 3024: self time per operator and input shape, so the map's time
splits into its parts (the k x k Taylor products, the (n - k, k, k) Gram products, the tokens'
products that a linear layer also does, element-wise work).

Usage: python benchmarks/bench_projectors.py [--batch 256] [--step-batch 16] [--rounds 5]
       [--skip-step] [--maps ...] [--no-official] [--step-maps matrix_exp,cholesky_qr]
       [--device cuda] [--profile]
       (part 1 on a GPU; part 2 runs on the CPU)
"""
import argparse
from typing import Dict, Sequence

import torch
from torch import nn
from torch.nn import functional as F
from torch.nn.utils import parametrizations

from vkd_mm.experiments.timing import interleaved_medians, time_once
from vkd_mm.models import LinearProjector, OrthogonalProjector

MAPS = ('matrix_exp', 'matrix_exp_full', 'householder_qr', 'cholesky_qr')
WIDTHS = ((192, 3024), (384, 3024), (256, 256), (3024, 192))


def build_projectors(d_s: int,
                     d_t: int,
                     maps: Sequence[str] = MAPS,
                     official: bool = True) -> Dict[str, nn.Module]:
    projectors = {'linear': LinearProjector(d_s, d_t)}
    if official:
        projectors['official (torch orthogonal)'] = parametrizations.orthogonal(
            nn.Linear(d_s, d_t, bias=False))
    for name in maps:
        projectors[name] = OrthogonalProjector(d_s, d_t, orthogonal_map=name)
    return projectors


def linear_flops(batch: int, d_s: int, d_t: int) -> float:
    """Forward + input grad + weight grad of x @ W^T: 3 products of B x d_s x d_t."""
    return 3 * 2 * batch * d_s * d_t


def cholesky_qr_extra_flops(batch: int, d_s: int, d_t: int) -> float:
    """What CholeskyQRMap adds to a linear layer, counting products and solves only.

    Gram W^T W (forward) and W (dG + dG^T) (backward): 2 products of max x min x min; the
    tokens' triangular solve and its two backward terms: about 3 B min^2; the Cholesky factor
    and its backward: about min^3.
    """
    big, small = max(d_s, d_t), min(d_s, d_t)
    return 2 * 2 * big * small**2 + 3 * batch * small**2 + small**3


def matrix_exp_extra_flops(batch: int, d_s: int, d_t: int, terms: int) -> float:
    """What the thin MatrixExpMap adds to a linear layer, for s m Taylor terms in all.

    Gram C = B^T B and its gradient B (dC + dC^T): 2 products of (n - k) x k x k; each Taylor
    term two k x k x k products forward (one for a square P) and twice that backward; the
    float64 polish: 5 k^3 products (2 for a square P); the tokens' extra products with N
    (forward and backward): 3 of B x k x k. A square P is exp(A) itself, so its whole cost is
    extra: the linear layer's products are replaced, not added to.
    """
    big, small = max(d_s, d_t), min(d_s, d_t)
    if big == small:
        return terms * 3 * 2 * small**3 + 2 * 2 * small**3
    return (2 * 2 * (big - small) * small**2 + terms * 3 * 4 * small**3 + 5 * 2 * small**3 +
            3 * 2 * batch * small**2)


def projector_step(projector: nn.Module, x: torch.Tensor, target: torch.Tensor):

    def step() -> None:
        projector.zero_grad(set_to_none=True)
        F.smooth_l1_loss(projector(x), target).backward()

    return step


def bench_projectors(batch: int, rounds: int, device: torch.device, maps: Sequence[str],
                     official: bool) -> None:
    where = torch.cuda.get_device_name(device) if device.type == 'cuda' else \
        f'{torch.get_num_threads()} threads'
    print(f'\n## Projector forward + backward (+ smooth-L1), B={batch}, {where}, '
          'median of interleaved rounds\n')
    print('| d_s -> d_t | map | time | vs linear | FLOP bound vs linear |')
    print('|---|---|---|---|---|')
    for d_s, d_t in WIDTHS:
        torch.manual_seed(0)
        x = torch.randn(batch, d_s, device=device, requires_grad=True)
        target = torch.randn(batch, d_t, device=device)
        projectors = build_projectors(d_s, d_t, maps, official)
        steps = {name: projector_step(p.to(device), x, target) for name, p in projectors.items()}
        medians = interleaved_medians(steps, rounds)
        base = medians['linear']
        linear = linear_flops(batch, d_s, d_t)
        bounds = {'cholesky_qr': 1 + cholesky_qr_extra_flops(batch, d_s, d_t) / linear}
        if 'matrix_exp' in projectors:
            stages, degree = projectors['matrix_exp'].orthogonal_map.schedule()
            bounds['matrix_exp'] = \
                1 + matrix_exp_extra_flops(batch, d_s, d_t, stages * degree) / linear
        for name, seconds in medians.items():
            note = f'{bounds[name]:.2f}x' if name in bounds else ''
            if name == 'matrix_exp':
                note += f' ({stages} x {degree} Taylor terms)'
            print(f'| {d_s} -> {d_t} | {name} | {seconds * 1e3:.1f} ms | '
                  f'{seconds / base:.2f}x | {note} |')


class PooledStudent(nn.Module):
    """DeiT-Ti (mmpretrain) returning its mean-pooled patch tokens, (B, 192)."""

    def __init__(self) -> None:
        super().__init__()
        from mmpretrain.models import VisionTransformer
        self.vit = VisionTransformer(arch='deit-tiny', img_size=224, patch_size=16, out_type='raw')
        self.head = nn.Linear(192, 1000)

    def forward(self, x):
        tokens = self.vit(x)[-1]  # (B, 1 + N, 192)
        return self.head(tokens[:, 0]), tokens[:, 1:].mean(1)


def bench_distillation_step(batch: int, rounds: int, maps: Sequence[str]) -> None:
    import timm
    torch.manual_seed(0)
    student = PooledStudent()
    teacher = timm.create_model('regnety_160', pretrained=False).eval().requires_grad_(False)
    images = torch.randn(batch, 3, 224, 224)
    labels = torch.randint(0, 1000, (batch, ))
    projectors = build_projectors(192, 3024, maps, official=False)

    def make_step(projector: nn.Module):
        params = list(student.parameters()) + list(projector.parameters())
        optimizer = torch.optim.AdamW(params, lr=1e-5, weight_decay=0.05)

        def step() -> None:
            optimizer.zero_grad(set_to_none=True)
            logits, pooled = student(images)
            with torch.no_grad():
                target = F.layer_norm(
                    teacher.forward_head(teacher.forward_features(images), pre_logits=True),
                    (3024, ))
            loss = F.cross_entropy(logits, labels) + F.smooth_l1_loss(projector(pooled), target)
            loss.backward()
            optimizer.step()

        return step

    medians = interleaved_medians({name: make_step(p) for name, p in projectors.items()}, rounds)
    base = medians['linear']
    print(f'\n## Whole distillation step: DeiT-Ti (192) <- RegNetY-160 (3024), B={batch}, '
          '224x224, CPU\n')
    print('| projector | step time | vs linear |')
    print('|---|---|---|')
    for name, seconds in medians.items():
        print(f'| {name} | {seconds:.2f} s | {seconds / base:.3f}x |')


def profile_matrix_exp(batch: int, rounds: int, device: torch.device, rows: int = 20) -> None:
    """torch.profiler's self time per operator and input shape, matrix_exp against linear."""
    from torch.profiler import ProfilerActivity, profile
    torch.manual_seed(0)
    d_s, d_t = 192, 3024
    x = torch.randn(batch, d_s, device=device, requires_grad=True)
    target = torch.randn(batch, d_t, device=device)
    activities = [ProfilerActivity.CPU] + ([ProfilerActivity.CUDA] if device.type == 'cuda' else [])
    sort_by = 'self_device_time_total' if device.type == 'cuda' else 'self_cpu_time_total'
    for name, projector in build_projectors(d_s, d_t, ['matrix_exp'], official=False).items():
        step = projector_step(projector.to(device), x, target)
        for _ in range(3):
            time_once(step)  # warm-up
        with profile(activities=activities, record_shapes=True) as prof:
            for _ in range(rounds):
                time_once(step)
        print(f'\n## {name}, {d_s} -> {d_t}, B={batch}: {rounds} forward + backward steps\n')
        print(
            prof.key_averages(group_by_input_shape=True).table(
                sort_by=sort_by,
                row_limit=rows,
                max_name_column_width=24,
                max_shapes_column_width=56))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--batch', type=int, default=256)
    parser.add_argument('--step-batch', type=int, default=16)
    parser.add_argument('--rounds', type=int, default=5)
    parser.add_argument('--skip-step', action='store_true', help='only part 1')
    parser.add_argument('--maps', default=','.join(MAPS), help='comma-separated maps for part 1')
    parser.add_argument(
        '--no-official',
        action='store_true',
        help="leave out the official code's map in part 1 (seconds per call)")
    parser.add_argument(
        '--step-maps',
        default='matrix_exp,cholesky_qr',
        help='comma-separated maps for part 2 (the linear layer always runs)')
    parser.add_argument('--device', default='cpu', help="part 1's device, 'cpu' or 'cuda'")
    parser.add_argument(
        '--profile',
        action='store_true',
        help='only the profiler tables of matrix_exp and linear at 192 -> 3024')
    args = parser.parse_args()
    print(f'torch {torch.__version__}')
    if args.profile:
        profile_matrix_exp(args.batch, args.rounds, torch.device(args.device))
        return
    bench_projectors(args.batch, args.rounds, torch.device(args.device), args.maps.split(','),
                     not args.no_official)
    if not args.skip_step:
        bench_distillation_step(args.step_batch, args.rounds, args.step_maps.split(','))


if __name__ == '__main__':
    main()
