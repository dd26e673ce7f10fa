"""A small CIFAR-format set of drawn shapes for tests and short GAN runs (no download)."""
import os
import os.path as osp
import pickle
from typing import Dict, Optional

import numpy as np

from .toy_shapes import TOY_SHAPE_CLASSES, draw_shape

__all__ = ['make_toy_cifar']

_LAYOUTS = {
    # base folder, training files, test file, meta file, label key, meta key
    'cifar10': ('cifar-10-batches-py', [f'data_batch_{i}' for i in range(1, 6)], 'test_batch',
                'batches.meta', 'labels', 'label_names'),
    'cifar100': ('cifar-100-python', ['train'], 'test', 'meta', 'fine_labels', 'fine_label_names'),
}


def make_toy_cifar(root: str,
                   layout: str = 'cifar10',
                   splits: Optional[Dict[str, int]] = None,
                   num_classes: Optional[int] = None,
                   seed: int = 0) -> str:
    """Write 32 x 32 shape images in the CIFAR python-pickle layout under ``root``.

    Class ``k`` is shape ``k mod 6`` on a noisy background. Files are what MMagic's CIFAR10 and
    :class:`CIFAR100Subset` read (use ``verify_checksum=False``).

    Args:
        root (str): output folder (the datasets' ``data_prefix``).
        layout (str): 'cifar10' or 'cifar100'.
        splits (dict): images per split, ``{'train': n, 'test': m}``. Default: 120 / 40.
        num_classes (int, optional): default 10 or 100.
        seed (int): random seed.

    Returns:
        str: ``root``.
    """
    folder, train_files, test_file, meta_file, label_key, meta_key = _LAYOUTS[layout]
    splits = splits or {'train': 120, 'test': 40}
    num_classes = num_classes or (10 if layout == 'cifar10' else 100)
    rng = np.random.default_rng(seed)
    os.makedirs(osp.join(root, folder), exist_ok=True)

    def batch(count):
        labels = rng.integers(0, num_classes, count)
        # BGR (H, W, 3) -> RGB planes, as CIFAR stores them
        images = [
            draw_shape(TOY_SHAPE_CLASSES[label % len(TOY_SHAPE_CLASSES)], 32,
                       rng)[:, :, ::-1].transpose(2, 0, 1).reshape(-1) for label in labels
        ]
        return {'data': np.stack(images).astype(np.uint8), label_key: labels.tolist()}

    per_file = np.array_split(np.arange(splits['train']), len(train_files))
    for name, indices in zip(train_files, per_file):
        with open(osp.join(root, folder, name), 'wb') as f:
            pickle.dump(batch(len(indices)), f)
    with open(osp.join(root, folder, test_file), 'wb') as f:
        pickle.dump(batch(splits['test']), f)
    with open(osp.join(root, folder, meta_file), 'wb') as f:
        pickle.dump({meta_key: [f'class{i}' for i in range(num_classes)]}, f)
    return root
