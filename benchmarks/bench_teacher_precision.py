"""What a V_kD step pays for the frozen teacher, and what a reduced-precision teacher saves.

All variants of a part run interleaved, one step of each per round (bench_projectors'
``interleaved_medians``), so load changes on the machine hit them alike; medians are printed as
ratios side by side.

Part ``teacher``: the RegNetY-160 teacher's forward alone (B images, 224 x 224) in fp32, under
bf16 autocast (the distiller's ``teacher_dtype='bf16'``: weights stay fp32, autocast casts the
inputs of each matrix product and convolution) and with its weights cast to bf16 (a bf16 copy of
the teacher given bf16 inputs); the relative error of each one's logits against fp32.

Part ``deit``: DeiT-Ti <- RegNetY-160, the distiller of
configs/deit/vkd_deit-tiny_regnety160_2xb256-300e_in1k.py (V_kD pair 192 -> 3024 and the KL pair
on the distillation head; random weights, no checkpoints), B images at 224 x 224. Train steps
(loss, backward, AdamW): the student alone, V_kD with the teacher in fp32
(``teacher_dtype='fp32'``) and with the teacher in each of ``--dtypes``; each V_kD step as a
ratio to the student-alone step and to the fp32-teacher step, and the relative error of the
recorded teacher feature (3024-d) and of the V_kD loss against the fp32 teacher's.

Part ``vidt``: ViDT Swin-nano <- Swin-base (benchmarks/bench_vidt.py's models, batch 2 at
``--vidt-size``): the plain step of the student alone, the teacher's forward alone and the V_kD
step, each with the teacher in fp32 and in each of ``--dtypes``; the V_kD step over (plain step
+ teacher forward of the same precision) is what the 6 token pairs add.

The student always trains in fp32 (no AMP): only the teacher's precision changes.

Usage: python benchmarks/bench_teacher_precision.py [--device cpu|cuda] [--parts teacher deit
       vidt] [--batch 16] [--vidt-size 640] [--rounds 3] [--dtypes bf16 [fp16]]
"""
import argparse
import copy
import os.path as osp
from typing import Callable, Dict, List, Sequence

import torch
from mmengine.config import Config
from mmengine.logging import MMLogger

from vkd_mm.experiments import git_commit, machine
from vkd_mm.experiments.timing import interleaved_medians

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
DEIT_VKD = osp.join(REPO, 'configs/deit/vkd_deit-tiny_regnety160_2xb256-300e_in1k.py')


def relative_error(value: torch.Tensor, reference: torch.Tensor) -> float:
    """||value - reference|| / ||reference|| in float64."""
    reference = reference.double()
    return float((value.double() - reference).norm() / reference.norm().clamp_min(1e-300))


def make_train_step(model: torch.nn.Module, inputs, samples) -> Callable[[], None]:
    """One loss / backward / AdamW step of ``model`` (an MMEngine model in loss mode)."""
    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(params, lr=1e-5, weight_decay=0.05)

    def step() -> None:
        model.train()
        optimizer.zero_grad(set_to_none=True)
        loss, _ = model.parse_losses(model(inputs, samples, mode='loss'))
        loss.backward()
        optimizer.step()

    return step


def with_teacher_dtype(distiller, teacher_dtype: str, run: Callable[[], None]):
    """``run`` with the distiller's teacher set to ``teacher_dtype`` for its duration."""

    def step() -> None:
        distiller.teacher_dtype = teacher_dtype
        run()

    return step


def print_table(title: str, medians: Dict[str, float], columns: Dict[str, str]) -> None:
    """A markdown table: time and, per column, the ratio to the variant it names."""
    print(f'\n## {title}\n')
    print('| variant | time | ' + ' | '.join(f'vs {c}' for c in columns) + ' |')
    print('|---|---|' + '---|' * len(columns))
    for name, seconds in medians.items():
        ratios = ' | '.join(f'{seconds / medians[ref]:.2f}x' for ref in columns.values())
        print(f'| {name} | {seconds * 1e3:.0f} ms | {ratios} |')


def build_deit(device: torch.device):
    """The DeiT-Ti <- RegNetY-160 distiller of the shipped config, random weights."""
    from mmpretrain.utils import register_all_modules

    import vkd_mm  # noqa: F401
    from vkd_mm.registry import MODELS
    register_all_modules()
    MMLogger.get_current_instance().setLevel('WARNING')
    cfg = Config.fromfile(DEIT_VKD).model
    cfg.teacher_ckpt = None
    cfg.student.pop('init_cfg', None)
    distiller = MODELS.build(cfg)
    return distiller.to(device)


def deit_batch(batch: int, device: torch.device):
    from mmpretrain.structures import DataSample
    inputs = torch.randn(batch, 3, 224, 224, device=device)
    samples = [DataSample().set_gt_label(index % 1000).to(device) for index in range(batch)]
    return inputs, samples


def bench_teacher_forward(distiller, inputs, rounds: int) -> None:
    """Part ``teacher``: autocast against cast weights for the teacher's forward."""
    teacher = distiller.teacher
    cast = copy.deepcopy(teacher).to(torch.bfloat16)
    device = inputs.device
    outputs = {}

    def run(name: str, model, data, context) -> Callable[[], None]:

        @torch.no_grad()
        def forward() -> None:
            with context():
                outputs[name] = model(data, None, mode='tensor').float()

        return forward

    from vkd_mm.models.teacher import teacher_precision
    variants = {
        'fp32':
        run('fp32', teacher, inputs, lambda: teacher_precision('fp32', device)),
        'bf16 autocast':
        run('bf16 autocast', teacher, inputs, lambda: teacher_precision('bf16', device)),
        'bf16 cast weights':
        run('bf16 cast weights', cast, inputs.bfloat16(),
            lambda: teacher_precision('fp32', device)),
    }
    medians = interleaved_medians(variants, rounds)
    print_table(f'RegNetY-160 forward alone, B={inputs.shape[0]}, 224x224', medians,
                {'fp32': 'fp32'})
    for name in ('bf16 autocast', 'bf16 cast weights'):
        print(f'- {name}: logits relative error vs fp32 '
              f'{relative_error(outputs[name], outputs["fp32"]):.2e}')


def bench_deit(distiller, inputs, samples, rounds: int, dtypes: Sequence[str]) -> None:
    """Part ``deit``: the whole step against the student alone and the fp32 teacher."""
    vkd_step = make_train_step(distiller, inputs, samples)
    variants = {
        'student alone': make_train_step(distiller.student, inputs, samples),
        'V_kD, teacher fp32': with_teacher_dtype(distiller, 'fp32', vkd_step)
    }
    for dtype in dtypes:
        variants[f'V_kD, teacher {dtype}'] = with_teacher_dtype(distiller, dtype, vkd_step)
    medians = interleaved_medians(variants, rounds)
    print_table(f'DeiT-Ti <- RegNetY-160 train step, B={inputs.shape[0]}, 224x224', medians, {
        'student alone': 'student alone',
        'teacher fp32': 'V_kD, teacher fp32'
    })
    pair = distiller.pairs['repr']
    with torch.no_grad():
        _, student_feats = distiller.forward_student(inputs, samples)
        references = {}
        for dtype in ('fp32', *dtypes):
            distiller.teacher_dtype = dtype
            feat = distiller.forward_teacher(inputs, samples)['repr']
            loss = pair(student_feats['repr'], feat)
            references[dtype] = feat, loss
            if dtype != 'fp32':
                print(f'- teacher {dtype}: feature relative error vs fp32 '
                      f'{relative_error(feat, references["fp32"][0]):.2e}, V_kD loss '
                      f'{loss.item():.6f} vs {references["fp32"][1].item():.6f}')


def bench_vidt_steps(size: int, rounds: int, dtypes: Sequence[str], device: torch.device) -> None:
    """Part ``vidt``: plain, teacher forward and V_kD steps, and the token pairs' overhead."""
    from bench_vidt import batch, build_models
    torch.manual_seed(0)
    student, distiller = build_models('base', 'matrix_exp')
    student, distiller = student.to(device), distiller.to(device)
    inputs, samples = batch(size)
    inputs = inputs.to(device)
    samples = [sample.to(device) for sample in samples]
    vkd_step = make_train_step(distiller, inputs, samples)
    variants = {'plain step': make_train_step(student, inputs, samples)}
    for dtype in ('fp32', *dtypes):
        variants[f'teacher forward {dtype}'] = with_teacher_dtype(
            distiller, dtype, lambda: distiller.forward_teacher(inputs, samples))
        variants[f'V_kD step, teacher {dtype}'] = with_teacher_dtype(distiller, dtype, vkd_step)
    medians = interleaved_medians(variants, rounds)
    print_table(f'ViDT Swin-nano <- Swin-base, batch 2 at {size}x{size}', medians, {
        'plain step': 'plain step',
        'teacher fp32': 'V_kD step, teacher fp32'
    })
    for dtype in ('fp32', *dtypes):
        pairs = medians[f'V_kD step, teacher {dtype}'] / (
            medians['plain step'] + medians[f'teacher forward {dtype}'])
        print(f'- teacher {dtype}: V_kD step / (plain step + teacher forward) = {pairs:.3f}')


def main(argv: List[str] = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--device', default='cpu')
    parser.add_argument(
        '--parts',
        nargs='+',
        default=['teacher', 'deit', 'vidt'],
        choices=['teacher', 'deit', 'vidt'])
    parser.add_argument('--batch', type=int, default=16, help='DeiT / RegNetY-160 images')
    parser.add_argument('--vidt-size', type=int, default=640)
    parser.add_argument('--rounds', type=int, default=3)
    parser.add_argument('--dtypes', nargs='+', default=['bf16'], choices=['bf16', 'fp16'])
    args = parser.parse_args(argv)
    device = torch.device(args.device)
    print(f'{machine()}, commit {git_commit(REPO)}, '
          f'median of {args.rounds} interleaved rounds')
    torch.manual_seed(0)
    if {'teacher', 'deit'} & set(args.parts):
        distiller = build_deit(device)
        inputs, samples = deit_batch(args.batch, device)
        if 'teacher' in args.parts:
            bench_teacher_forward(distiller, inputs, args.rounds)
        if 'deit' in args.parts:
            bench_deit(distiller, inputs, samples, args.rounds, args.dtypes)
        del distiller
    if 'vidt' in args.parts:
        bench_vidt_steps(args.vidt_size, args.rounds, args.dtypes, device)


if __name__ == '__main__':
    main()
