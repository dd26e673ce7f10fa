"""The whole V_kD story on the toy shapes data, on CPU, in a few minutes.

1. Generate the toy shapes set (tools/make_toy_data.py).
2. Train the teacher, a ResNet-18 of width 32 (tools/train.py).
3. Train the width-8 student alone, with the same budget (tools/train.py).
4. Distil the student with V_kD, 2 processes (tools/dist_train.sh, gloo without CUDA),
   and, for comparison, with an unconstrained linear projector.
5. Export each distilled student (tools/export_student.py) and evaluate every model with
   tools/test.py through the stock student or teacher config; print the top-1 table.

Usage: python tools/toy_demo.py [--epochs 8] [--teacher-epochs 12] [--work-dir work_dirs/toy_demo]
"""
import argparse
import os
import os.path as osp
import re
import subprocess
import sys

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
CONFIGS = osp.join(REPO, 'configs/toy')
TEACHER = osp.join(CONFIGS, 'resnet18-w32_4e_toy-shapes.py')
STUDENT = osp.join(CONFIGS, 'resnet18-w8_4e_toy-shapes.py')
VKD = osp.join(CONFIGS, 'vkd_resnet18-w8_resnet18-w32_4e_toy-shapes.py')
LINEAR_KD = osp.join(CONFIGS, 'linear-kd_resnet18-w8_resnet18-w32_4e_toy-shapes.py')
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
        sys.exit(f'command failed (exit {result.returncode}); last lines of {log_path}:\n'
                 + text[-3000:])
    return text


def schedule(epochs, batch_size=None):
    options = [f'train_cfg.max_epochs={epochs}', f'train_cfg.val_interval={epochs}',
               f'param_scheduler.T_max={epochs}']
    if batch_size is not None:
        options.append(f'train_dataloader.batch_size={batch_size}')
    return options


def train(config, work_dir, epochs, extra=(), processes=1):
    os.makedirs(work_dir, exist_ok=True)
    if processes > 1:
        cmd = ['bash', 'tools/dist_train.sh', config, str(processes)]
    else:
        cmd = [sys.executable, 'tools/train.py', config]
    # the global batch stays 32 whatever the process count
    options = schedule(epochs, 32 // processes) + list(extra)
    run(cmd + ['--work-dir', work_dir, '--cfg-options'] + options,
        osp.join(work_dir, 'train.log'))
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
    parser.add_argument('--epochs', type=int, default=8, help='student budget (every run)')
    parser.add_argument('--teacher-epochs', type=int, default=12)
    parser.add_argument('--train-per-class', type=int, default=150)
    parser.add_argument('--val-per-class', type=int, default=50)
    parser.add_argument('--work-dir', default='work_dirs/toy_demo')
    args = parser.parse_args()
    work = osp.abspath(args.work_dir)
    os.makedirs(work, exist_ok=True)

    run([sys.executable, 'tools/make_toy_data.py', '--train', str(args.train_per_class),
         '--val', str(args.val_per_class)], osp.join(work, 'data.log'))

    teacher_ckpt = train(TEACHER, osp.join(work, 'teacher'), args.teacher_epochs)
    student_ckpt = train(STUDENT, osp.join(work, 'student'), args.epochs)
    teacher_option = [f'model.teacher_ckpt={teacher_ckpt}']
    vkd_ckpt = train(VKD, osp.join(work, 'student_vkd'), args.epochs, teacher_option,
                     processes=2)
    linear_ckpt = train(LINEAR_KD, osp.join(work, 'student_linear'), args.epochs,
                        teacher_option, processes=2)

    results = [
        ('teacher (ResNet-18 w32)', test(TEACHER, teacher_ckpt, osp.join(work, 'teacher'))),
        ('student alone (ResNet-18 w8)',
         test(STUDENT, student_ckpt, osp.join(work, 'student'))),
        ('student + V_kD (orthogonal projector)',
         test(STUDENT, export(vkd_ckpt, osp.join(work, 'student_vkd.pth')),
              osp.join(work, 'student_vkd'))),
        ('student + linear projector',
         test(STUDENT, export(linear_ckpt, osp.join(work, 'student_linear.pth')),
              osp.join(work, 'student_linear'))),
    ]
    print(f'\nToy shapes, val top-1 (%), students trained {args.epochs} epochs each, '
          f'teacher {args.teacher_epochs}:')
    print('| model | top-1 |\n|---|---|')
    for name, top1 in results:
        print(f'| {name} | {top1:.2f} |')


if __name__ == '__main__':
    main()
