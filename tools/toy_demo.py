"""The whole V_kD story on the toy shapes data, on CPU, in a few minutes.

1. Generate the toy shapes set (tools/make_toy_data.py).
2. Train the teacher, a ResNet-18 of width 32 (tools/train.py). It is cached under
   ``<work-dir>/teachers/<key>``, the key hashing its resolved config, the data files and the
   vkd_mm code (docs/experiments.md), so a second run reuses it.
3. Train the width-8 student alone, with the same budget (tools/dist_train.sh, 2 processes).
4. Distil the student with V_kD, 2 processes (tools/dist_train.sh, gloo without CUDA),
   and, for comparison, with an unconstrained linear projector.
5. Export each distilled student (tools/export_student.py) and evaluate every model with
   tools/test.py through the stock student or teacher config; print the top-1 table.

Usage: python tools/toy_demo.py [--student resnet|deit] [--epochs 8] [--teacher-epochs 12]
                                [--work-dir work_dirs/toy_demo]
With ``--student deit`` the student is a 4-layer DeiT-Ti distilled with the V_kD DeiT recipe
(distillation head on the teacher's logits, pooled patch tokens through the projector).
"""
import argparse
import os
import os.path as osp
import sys

from vkd_mm.experiments import (Launcher, TeacherCache, markdown_table, project_root,
                                resolved_config_text, teacher_key)

REPO = project_root()
CONFIGS = osp.join(REPO, 'configs/toy')
TEACHER = osp.join(CONFIGS, 'resnet18-w32_12e_toy-shapes.py')
DATA_ROOT = osp.join(REPO, 'data/toy_shapes')  # the toy configs' data_root
# student family -> (name, student alone, with V_kD, with a linear projector)
STUDENTS = {
    'resnet': ('ResNet-18 w8', 'resnet18-w8_8e_toy-shapes.py',
               'vkd_resnet18-w8_resnet18-w32_8e_toy-shapes.py',
               'linear-kd_resnet18-w8_resnet18-w32_8e_toy-shapes.py'),
    'deit': ('DeiT-Ti 4 layers', 'deit-tiny-4l-p4_8e_toy-shapes.py',
             'vkd_deit-tiny-4l-p4_resnet18-w32_8e_toy-shapes.py',
             'linear-kd_deit-tiny-4l-p4_resnet18-w32_8e_toy-shapes.py'),
}


def schedule(epochs, batch_size):
    return [
        f'train_cfg.max_epochs={epochs}', f'train_cfg.val_interval={epochs}',
        f'param_scheduler.T_max={epochs}', f'train_dataloader.batch_size={batch_size}'
    ]


def train(launcher, config, work_dir, epochs, extra=(), processes=1):
    """Train with the global batch 32 whatever the process count; return the checkpoint."""
    launcher.train(config, work_dir, schedule(epochs, 32 // processes) + list(extra), processes)
    return osp.join(work_dir, f'epoch_{epochs}.pth')


def test(launcher, config, checkpoint, work_dir):
    return launcher.test(config, checkpoint, work_dir)['accuracy/top1']


def cached_teacher(launcher, work, epochs):
    """The teacher's checkpoint: cached when the same config, data and code trained one."""
    options = schedule(epochs, 32)
    key = teacher_key(resolved_config_text(TEACHER, options), [DATA_ROOT])

    def train_teacher(teacher_dir):
        launcher.train(TEACHER, teacher_dir, options)
        return dict(checkpoint=osp.join(teacher_dir, f'epoch_{epochs}.pth'))

    return TeacherCache(osp.join(work, 'teachers')).fetch(key, train_teacher)['checkpoint']


def main():
    parser = argparse.ArgumentParser(description='V_kD on toy shapes, end to end')
    parser.add_argument('--student', choices=sorted(STUDENTS), default='resnet')
    parser.add_argument('--epochs', type=int, default=8, help='student budget (every run)')
    parser.add_argument('--teacher-epochs', type=int, default=12)
    parser.add_argument('--train-per-class', type=int, default=150)
    parser.add_argument('--val-per-class', type=int, default=50)
    parser.add_argument('--work-dir', default='work_dirs/toy_demo')
    args = parser.parse_args()
    work = osp.abspath(args.work_dir)
    os.makedirs(work, exist_ok=True)
    launcher = Launcher(REPO, echo=True)
    student_name, *configs = STUDENTS[args.student]
    student_config, vkd_config, linear_config = (osp.join(CONFIGS, c) for c in configs)

    launcher.run([
        sys.executable, 'tools/make_toy_data.py', '--root', DATA_ROOT, '--train',
        str(args.train_per_class), '--val',
        str(args.val_per_class)
    ], osp.join(work, 'data.log'))

    # one teacher serves both student families
    teacher_ckpt = cached_teacher(launcher, work, args.teacher_epochs)
    teacher_dir = osp.dirname(teacher_ckpt)
    run_dir = osp.join(work, args.student)
    # every student trains with the same 2-process launcher, global batch and iterations
    student_ckpt = train(
        launcher, student_config, osp.join(run_dir, 'student'), args.epochs, processes=2)
    teacher_option = [f'model.teacher_ckpt={teacher_ckpt}']
    vkd_ckpt = train(
        launcher,
        vkd_config,
        osp.join(run_dir, 'student_vkd'),
        args.epochs,
        teacher_option,
        processes=2)
    linear_ckpt = train(
        launcher,
        linear_config,
        osp.join(run_dir, 'student_linear'),
        args.epochs,
        teacher_option,
        processes=2)

    # distilled students are exported and evaluated through the stock student config
    student_base = student_config if args.student == 'resnet' else osp.join(
        CONFIGS, 'deit-tiny-4l-p4-distilled_toy-shapes.py')
    results = [
        ('teacher (ResNet-18 w32)', test(launcher, TEACHER, teacher_ckpt, teacher_dir)),
        (f'student alone ({student_name})',
         test(launcher, student_config, student_ckpt, osp.join(run_dir, 'student'))),
        ('student + V_kD (orthogonal projector)',
         test(launcher, student_base,
              launcher.export_student(vkd_ckpt, osp.join(run_dir, 'student_vkd.pth')),
              osp.join(run_dir, 'student_vkd'))),
        ('student + linear projector',
         test(launcher, student_base,
              launcher.export_student(linear_ckpt, osp.join(run_dir, 'student_linear.pth')),
              osp.join(run_dir, 'student_linear'))),
    ]
    print(f'\nToy shapes, val top-1 (%), students trained {args.epochs} epochs each, '
          f'teacher {args.teacher_epochs}:')
    print(markdown_table(['model', 'top-1'], [(name, f'{top1:.2f}') for name, top1 in results]))


if __name__ == '__main__':
    main()
