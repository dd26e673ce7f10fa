"""Generate the toy data sets: shapes classification (MMPretrain CustomDataset layout) or
detection scenes (COCO format, for MMDetection's CocoDataset and CocoMetric) of drawn shapes or
of real Fashion-MNIST items.

Usage:
    python tools/make_toy_data.py [--root data/toy_shapes] [--train 100] [--val 50]
    python tools/make_toy_data.py --task det [--root data/toy_coco] [--train 64] [--val 16]
    python tools/make_toy_data.py --task det --source fashion-mnist [--root data/fashion_coco]
        [--train 64] [--val 16] [--classes Trouser Sneaker Bag | all]
        [--data-root /usr/share/datasets/fashion-mnist]
Fashion-MNIST scenes need the data (`apt-get install dataset-fashion-mnist`). Their classes are
Fashion-MNIST names (default: Trouser, Sneaker, Bag), so a detector config needs
``metainfo=dict(classes=...)`` with the same names and as many classes.
"""
import argparse

from vkd_mm.datasets import (FASHION_COCO_CLASSES, FASHION_MNIST_CLASSES, FASHION_MNIST_ROOT,
                             make_fashion_coco, make_toy_coco, make_toy_shapes)


def main():
    parser = argparse.ArgumentParser(description='Generate a toy data set')
    parser.add_argument('--task', choices=['cls', 'det'], default='cls')
    parser.add_argument(
        '--source',
        choices=['shapes', 'fashion-mnist'],
        default='shapes',
        help='det only: drawn shapes, or real Fashion-MNIST items')
    parser.add_argument(
        '--root',
        default=None,
        help='default: data/toy_shapes (cls), data/toy_coco (det) or '
        'data/fashion_coco (det from fashion-mnist)')
    parser.add_argument(
        '--train', type=int, default=None, help='training images per class (cls) or in all (det)')
    parser.add_argument('--val', type=int, default=None)
    parser.add_argument('--size', type=int, default=None, help='image size')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument(
        '--classes',
        nargs='+',
        default=list(FASHION_COCO_CLASSES),
        help='fashion-mnist: class names, or "all" for the ten')
    parser.add_argument(
        '--data-root',
        default=FASHION_MNIST_ROOT,
        help='fashion-mnist: folder of the four idx files')
    args = parser.parse_args()
    if args.source != 'shapes' and args.task != 'det':
        parser.error('--source fashion-mnist composes detection scenes: add --task det')
    splits = {'train': args.train or 64, 'val': args.val or 16}
    if args.task == 'cls':
        root = make_toy_shapes(
            args.root or 'data/toy_shapes', {
                'train': args.train or 100,
                'val': args.val or 50
            },
            args.size or 32,
            seed=args.seed)
    elif args.source == 'shapes':
        root = make_toy_coco(args.root or 'data/toy_coco', splits, args.size or 128, seed=args.seed)
    else:
        classes = FASHION_MNIST_CLASSES if args.classes == ['all'] else args.classes
        try:
            root = make_fashion_coco(
                args.root or 'data/fashion_coco',
                splits,
                args.size or 128,
                classes=classes,
                data_root=args.data_root,
                seed=args.seed)
        except FileNotFoundError as error:
            raise SystemExit(str(error)) from None
        print(f'classes: {list(classes)}')
    print(f'toy data ready in {root}')


if __name__ == '__main__':
    main()
