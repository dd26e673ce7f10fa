"""Generate the toy shapes classification set (MMPretrain CustomDataset layout).

Usage: python tools/make_toy_data.py [--root data/toy_shapes] [--train 100] [--val 50]
"""
import argparse

from vkd_mm.datasets import make_toy_shapes


def main():
    parser = argparse.ArgumentParser(description='Generate the toy shapes data set')
    parser.add_argument('--root', default='data/toy_shapes')
    parser.add_argument('--train', type=int, default=100, help='training images per class')
    parser.add_argument('--val', type=int, default=50, help='validation images per class')
    parser.add_argument('--size', type=int, default=32, help='image size')
    parser.add_argument('--seed', type=int, default=0)
    args = parser.parse_args()
    root = make_toy_shapes(args.root, {'train': args.train, 'val': args.val}, args.size,
                           seed=args.seed)
    print(f'toy shapes ready in {root}')


if __name__ == '__main__':
    main()
