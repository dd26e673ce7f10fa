"""Fashion-MNIST's four idx files, gzipped or not, read into numpy arrays (no host library).

Xiao, Rasul, Vollgraf, "Fashion-MNIST: a Novel Image Dataset for Benchmarking Machine Learning
Algorithms", 2017, https://arxiv.org/abs/1708.07747 (MIT licence): 60,000 training and 10,000
test images, 28 x 28 grey, 10 classes.

Debian's ``dataset-fashion-mnist`` package installs the files gzipped under
``/usr/share/datasets/fashion-mnist/``; these functions read them from any folder, gzipped or
not, and never write or download.
"""
import gzip
import os.path as osp
from typing import Dict, List, Optional, Tuple

import numpy as np

__all__ = [
    'FASHION_MNIST_ROOT', 'FASHION_MNIST_APT', 'FASHION_MNIST_CLASSES', 'fashion_mnist_files',
    'missing_fashion_mnist_files', 'read_idx', 'load_fashion_mnist'
]

FASHION_MNIST_ROOT = '/usr/share/datasets/fashion-mnist'
FASHION_MNIST_APT = 'apt-get update && apt-get install -y dataset-fashion-mnist'
# label 0..9, as the data set's authors name them (MMPretrain spells them alike)
FASHION_MNIST_CLASSES = ('T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt',
                         'Sneaker', 'Bag', 'Ankle boot')
# split -> (images, labels), without the optional .gz suffix
_FILES: Dict[str, Tuple[str, str]] = {
    'train': ('train-images-idx3-ubyte', 'train-labels-idx1-ubyte'),
    'test': ('t10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte'),
}
# (path, size, mtime) -> the array read from it; the benchmark builds the same split many times
_CACHE: Dict[Tuple[str, int, float], np.ndarray] = {}


def _find(root: str, stem: str) -> Optional[str]:
    for name in (stem + '.gz', stem):
        path = osp.join(root, name)
        if osp.isfile(path):
            return path
    return None


def missing_fashion_mnist_files(root: str = FASHION_MNIST_ROOT) -> List[str]:
    """The idx files (as ``name[.gz]``) that ``root`` lacks; empty when all four are there."""
    return [
        f'{stem}[.gz]' for split in ('train', 'test') for stem in _FILES[split]
        if _find(root, stem) is None
    ]


def fashion_mnist_files(root: str, split: str) -> Tuple[str, str]:
    """The (images, labels) paths of ``split`` ('train' or 'test') under ``root``.

    Raises:
        ValueError: for another split.
        FileNotFoundError: naming the missing files and the Debian package that installs them.
    """
    if split not in _FILES:
        raise ValueError(f"split must be 'train' or 'test', got {split!r}")
    missing = missing_fashion_mnist_files(root)
    if missing:
        raise FileNotFoundError(
            f'Fashion-MNIST: {root!r} lacks {", ".join(missing)}. Install the data with '
            f'`{FASHION_MNIST_APT}` (it puts the four gzipped files in {FASHION_MNIST_ROOT}), '
            'or point data_root at a folder holding them; nothing is downloaded.')
    return tuple(_find(root, stem) for stem in _FILES[split])


def read_idx(path: str) -> np.ndarray:
    """Read one idx file of unsigned bytes (gzipped when its name ends in .gz).

    Returns:
        np.ndarray: uint8, (N, H, W) for an image file (magic 2051), (N, ) for a label file
        (magic 2049).
    """
    key = (osp.abspath(path), osp.getsize(path), osp.getmtime(path))
    if key in _CACHE:
        return _CACHE[key]
    opener = gzip.open if path.endswith('.gz') else open
    with opener(path, 'rb') as f:
        data = f.read()
    magic = int.from_bytes(data[:4], 'big')
    if magic >> 8 != 0x08:  # 0x08: unsigned byte elements
        raise ValueError(f'{path}: not an idx file of unsigned bytes (magic {magic:#010x})')
    ndim = magic & 0xFF
    shape = tuple(int.from_bytes(data[4 + 4 * i:8 + 4 * i], 'big') for i in range(ndim))
    offset = 4 + 4 * ndim
    array = np.frombuffer(data, np.uint8, int(np.prod(shape)), offset).reshape(shape)
    _CACHE[key] = array
    return array


def load_fashion_mnist(root: str = FASHION_MNIST_ROOT,
                       split: str = 'train') -> Tuple[np.ndarray, np.ndarray]:
    """Images (N, 28, 28) uint8 and labels (N, ) int64 of one split."""
    images_path, labels_path = fashion_mnist_files(root, split)
    images, labels = read_idx(images_path), read_idx(labels_path).astype(np.int64)
    if len(images) != len(labels):
        raise ValueError(f'{images_path} holds {len(images)} images but {labels_path} '
                         f'{len(labels)} labels')
    return images, labels
