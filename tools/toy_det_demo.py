"""The whole ViDT + V_kD detection story on the toy COCO-format shapes, on CPU, in minutes.

1. Generate the toy detection set (tools/make_toy_data.py --task det).
2. Train the teacher, a ViDT Swin-nano, for longer (tools/train.py).
3. Train the ViDT Swin-nano student alone (tools/dist_train.sh, 2 processes, gloo on CPU).
4. Distil the same student with V_kD for the same iterations
   (tools/dist_train.sh configs/toy/vkd_vidt_swin-nano_toy-coco.py 2).
5. Export the distilled student (tools/export_student.py); evaluate every model with
   tools/test.py (mmdet's CocoMetric) through the stock ViDT config; print the bbox mAP table.

Usage: python tools/toy_det_demo.py [--epochs 3] [--teacher-epochs 5] [--work-dir ...]
"""
import argparse
import os
import os.path as osp
import re
import sys

from toy_demo import export, launch_training, run

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
CONFIGS = osp.join(REPO, 'configs/toy')
VIDT = osp.join(CONFIGS, 'vidt_swin-nano_toy-coco.py')
VKD = osp.join(CONFIGS, 'vkd_vidt_swin-nano_toy-coco.py')
BBOX_MAP = re.compile(r'coco/bbox_mAP: ([0-9.]+)')
GLOBAL_BATCH = 4


def train(config, work_dir, epochs, extra=(), processes=1):
    """Train with a cosine schedule of ``epochs``; the global batch is the same for any
    process count. Returns the last checkpoint."""
    options = [f'train_cfg.max_epochs={epochs}', f'train_cfg.val_begin={epochs + 1}',
               f'param_scheduler.0.T_max={epochs}', f'param_scheduler.0.end={epochs}',
               f'train_dataloader.batch_size={GLOBAL_BATCH // processes}', *extra]
    launch_training(config, work_dir, options, processes)
    return osp.join(work_dir, f'epoch_{epochs}.pth')


def test(config, checkpoint, work_dir):
    text = run([sys.executable, 'tools/test.py', config, checkpoint, '--work-dir', work_dir],
               osp.join(work_dir, 'test.log'))
    return float(BBOX_MAP.findall(text)[-1])


def main():
    parser = argparse.ArgumentParser(description='ViDT + V_kD on toy shapes, end to end')
    parser.add_argument('--epochs', type=int, default=3, help='student budget (both runs)')
    parser.add_argument('--teacher-epochs', type=int, default=5)
    parser.add_argument('--train-images', type=int, default=200)
    parser.add_argument('--val-images', type=int, default=50)
    parser.add_argument('--work-dir', default='work_dirs/toy_det_demo')
    args = parser.parse_args()
    work = osp.abspath(args.work_dir)
    os.makedirs(work, exist_ok=True)

    run([sys.executable, 'tools/make_toy_data.py', '--task', 'det', '--train',
         str(args.train_images), '--val', str(args.val_images)], osp.join(work, 'data.log'))
    teacher_dir = osp.join(work, 'teacher')
    teacher_ckpt = train(VIDT, teacher_dir, args.teacher_epochs)
    student_dir = osp.join(work, 'student')
    student_ckpt = train(VIDT, student_dir, args.epochs, processes=2)
    vkd_dir = osp.join(work, 'student_vkd')
    vkd_ckpt = train(VKD, vkd_dir, args.epochs, [f'model.teacher_ckpt={teacher_ckpt}'],
                     processes=2)

    results = [
        (f'teacher (ViDT Swin-nano, {args.teacher_epochs} epochs)',
         test(VIDT, teacher_ckpt, teacher_dir)),
        ('student alone (ViDT Swin-nano)', test(VIDT, student_ckpt, student_dir)),
        ('student + V_kD', test(VIDT, export(vkd_ckpt, osp.join(work, 'student_vkd.pth')),
                                vkd_dir)),
    ]
    print(f'\nToy shapes detection, val COCO bbox mAP, students trained {args.epochs} epochs '
          f'each (2 processes), teacher {args.teacher_epochs}:')
    print('| model | bbox mAP |\n|---|---|')
    for name, bbox_map in results:
        print(f'| {name} | {bbox_map:.3f} |')


if __name__ == '__main__':
    main()
