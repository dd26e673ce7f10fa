"""Generate the toy data sets: shapes classification (MMPretrain CustomDataset layout) or shapes
detection (COCO format, for MMDetection's CocoDataset and CocoMetric).

Usage:
    python tools/make_toy_data.py [--root data/toy_shapes] [--train 100] [--val 50]
    python tools/make_toy_data.py --task det [--root data/toy_coco] [--train 64] [--val 16]
"""
import argparse

from vkd_mm.datasets import make_toy_coco, make_toy_shapes


def main():
    parser = argparse.ArgumentParser(description='Generate a toy data set')
    parser.add_argument('--task', choices=['cls', 'det'], default='cls')
    parser.add_argument('--root', default=None,
                        help='default: data/toy_shapes (cls) or data/toy_coco (det)')
    parser.add_argument('--train', type=int, default=None,
                        help='training images per class (cls) or in all (det)')
    parser.add_argument('--val', type=int, default=None)
    parser.add_argument('--size', type=int, default=None, help='image size')
    parser.add_argument('--seed', type=int, default=0)
    args = parser.parse_args()
    if args.task == 'cls':
        root = make_toy_shapes(args.root or 'data/toy_shapes',
                               {'train': args.train or 100, 'val': args.val or 50},
                               args.size or 32, seed=args.seed)
    else:
        root = make_toy_coco(args.root or 'data/toy_coco',
                             {'train': args.train or 64, 'val': args.val or 16},
                             args.size or 128, seed=args.seed)
    print(f'toy data ready in {root}')


if __name__ == '__main__':
    main()
