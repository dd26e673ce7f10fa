"""The whole V_kD story on the toy shapes data, on CPU, in a few minutes.

1. Generate the toy shapes set (tools/make_toy_data.py).
2. Train the teacher, a ResNet-18 of width 32 (tools/train.py).
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
import re
import subprocess
import sys

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
CONFIGS = osp.join(REPO, 'configs/toy')
TEACHER = osp.join(CONFIGS, 'resnet18-w32_12e_toy-shapes.py')
# student family -> (name, student alone, with V_kD, with a linear projector)
STUDENTS = {
    'resnet': ('ResNet-18 w8', 'resnet18-w8_8e_toy-shapes.py',
               'vkd_resnet18-w8_resnet18-w32_8e_toy-shapes.py',
               'linear-kd_resnet18-w8_resnet18-w32_8e_toy-shapes.py'),
    'deit': ('DeiT-Ti 4 layers', 'deit-tiny-4l-p4_8e_toy-shapes.py',
             'vkd_deit-tiny-4l-p4_resnet18-w32_8e_toy-shapes.py',
             'linear-kd_deit-tiny-4l-p4_resnet18-w32_8e_toy-shapes.py'),
}
TOP1 = re.compile(r'accuracy/top1: ([0-9.]+)')


def run(cmd, log_path):
    """Run a command from the repository root, logging to a file; fail loudly."""
    print('$ ' + ' '.join(cmd), flush=True)
    env = dict(os.environ, PATH=osp.dirname(sys.executable) + os.pathsep + os.environ['PATH'])
    with open(log_path, 'w') as log:
        result = subprocess.run(cmd, cwd=REPO, stdout=log, stderr=subprocess.STDOUT, env=env)
    with open(log_path) as log:
        text = log.read()
    if result.returncode != 0:
        sys.exit(f'command failed (exit {result.returncode}); last lines of {log_path}:\n' +
                 text[-3000:])
    return text


def schedule(epochs, batch_size=None):
    options = [
        f'train_cfg.max_epochs={epochs}', f'train_cfg.val_interval={epochs}',
        f'param_scheduler.T_max={epochs}'
    ]
    if batch_size is not None:
        options.append(f'train_dataloader.batch_size={batch_size}')
    return options


def launch_training(config, work_dir, options, processes=1):
    """tools/train.py (one process) or tools/dist_train.sh (several) with ``--cfg-options``,
    logging to ``work_dir/train.log``."""
    os.makedirs(work_dir, exist_ok=True)
    if processes > 1:
        cmd = ['bash', 'tools/dist_train.sh', config, str(processes)]
    else:
        cmd = [sys.executable, 'tools/train.py', config]
    run(cmd + ['--work-dir', work_dir, '--cfg-options'] + list(options),
        osp.join(work_dir, 'train.log'))


def train(config, work_dir, epochs, extra=(), processes=1):
    # the global batch stays 32 whatever the process count
    launch_training(config, work_dir, schedule(epochs, 32 // processes) + list(extra), processes)
    return osp.join(work_dir, f'epoch_{epochs}.pth')


def test(config, checkpoint, work_dir):
    text = run([sys.executable, 'tools/test.py', config, checkpoint, '--work-dir', work_dir],
               osp.join(work_dir, 'test.log'))
    return float(TOP1.findall(text)[-1])


def export(checkpoint, out):
    run([sys.executable, 'tools/export_student.py', checkpoint, out], out + '.log')
    return out


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
    student_name, *configs = STUDENTS[args.student]
    student_config, vkd_config, linear_config = (osp.join(CONFIGS, c) for c in configs)

    run([
        sys.executable, 'tools/make_toy_data.py', '--train',
        str(args.train_per_class), '--val',
        str(args.val_per_class)
    ], osp.join(work, 'data.log'))

    teacher_dir = osp.join(work, 'teacher')
    teacher_ckpt = osp.join(teacher_dir, f'epoch_{args.teacher_epochs}.pth')
    if not osp.isfile(teacher_ckpt):  # one teacher serves both student families
        train(TEACHER, teacher_dir, args.teacher_epochs)
    run_dir = osp.join(work, args.student)
    # every student trains with the same 2-process launcher, global batch and iterations
    student_ckpt = train(student_config, osp.join(run_dir, 'student'), args.epochs, processes=2)
    teacher_option = [f'model.teacher_ckpt={teacher_ckpt}']
    vkd_ckpt = train(
        vkd_config, osp.join(run_dir, 'student_vkd'), args.epochs, teacher_option, processes=2)
    linear_ckpt = train(
        linear_config,
        osp.join(run_dir, 'student_linear'),
        args.epochs,
        teacher_option,
        processes=2)

    # distilled students are exported and evaluated through the stock student config
    student_base = student_config if args.student == 'resnet' else osp.join(
        CONFIGS, 'deit-tiny-4l-p4-distilled_toy-shapes.py')
    results = [
        ('teacher (ResNet-18 w32)', test(TEACHER, teacher_ckpt, teacher_dir)),
        (f'student alone ({student_name})',
         test(student_config, student_ckpt, osp.join(run_dir, 'student'))),
        ('student + V_kD (orthogonal projector)',
         test(student_base, export(vkd_ckpt, osp.join(run_dir, 'student_vkd.pth')),
              osp.join(run_dir, 'student_vkd'))),
        ('student + linear projector',
         test(student_base, export(linear_ckpt, osp.join(run_dir, 'student_linear.pth')),
              osp.join(run_dir, 'student_linear'))),
    ]
    print(f'\nToy shapes, val top-1 (%), students trained {args.epochs} epochs each, '
          f'teacher {args.teacher_epochs}:')
    print('| model | top-1 |\n|---|---|')
    for name, top1 in results:
        print(f'| {name} | {top1:.2f} |')


if __name__ == '__main__':
    main()
