"""CIFAR-10 / CIFAR-100 for data-limited GAN training, with KD-DLGAN's seeded subsets."""
from typing import Optional

import numpy as np
from mmagic.datasets import CIFAR10
from mmengine.fileio import get_file_backend
from mmpretrain.datasets.categories import CIFAR100_CATEGORIES

from vkd_mm.registry import DATASETS

__all__ = ['CIFAR10Subset', 'CIFAR100Subset', 'subset_indices']


def subset_indices(total: int, ratio: float, seed: int = 0) -> np.ndarray:
    """KD-DLGAN's selection: ``np.random.seed(seed); np.random.choice(total, n, False)`` with
    n = round(ratio * total); not class-balanced, in draw order."""
    if not 0.0 < ratio <= 1.0:
        raise ValueError(f'subset_ratio must be in (0, 1], got {ratio}')
    return np.random.RandomState(seed).choice(total, int(round(ratio * total)), replace=False)


@DATASETS.register_module()
class CIFAR10Subset(CIFAR10):
    """MMagic's CIFAR-10 with an optional seeded subset of the training split.

    Args:
        subset_ratio (float, optional): keep this fraction of the images (e.g. 0.1, 0.2), drawn
            as KD-DLGAN draws them; None keeps all. Applied to the training split only.
        subset_seed (int): seed of the draw. Default: 0 (KD-DLGAN).
        verify_checksum (bool): check the files' md5 sums (False for generated test data).
        download (bool): MMagic's download; off by default here (no network at run time).
        **kwargs: :class:`mmagic.datasets.CIFAR10` arguments (data_prefix, test_mode, ...).
    """

    def __init__(self,
                 *args,
                 subset_ratio: Optional[float] = None,
                 subset_seed: int = 0,
                 verify_checksum: bool = True,
                 download: bool = False,
                 **kwargs) -> None:
        self.subset_ratio = subset_ratio
        self.subset_seed = subset_seed
        self.verify_checksum = verify_checksum
        super().__init__(*args, download=download, **kwargs)

    def load_data_list(self):
        data_list = super().load_data_list()
        if self.subset_ratio is None or self.test_mode:
            return data_list
        return [
            data_list[i]
            for i in subset_indices(len(data_list), self.subset_ratio, self.subset_seed)
        ]

    def _check_integrity(self) -> bool:
        if self.verify_checksum:
            return super()._check_integrity()
        root = self.data_prefix['root']
        backend = get_file_backend(uri=root)
        return all(
            backend.exists(backend.join_path(root, self.base_folder, name))
            for name, _ in self.train_list + self.test_list)


@DATASETS.register_module()
class CIFAR100Subset(CIFAR10Subset):
    """CIFAR-100 (``cifar-100-python``, fine labels), same options as :class:`CIFAR10Subset`."""
    base_folder = 'cifar-100-python'
    url = 'https://www.cs.toronto.edu/~kriz/cifar-100-python.tar.gz'
    filename = 'cifar-100-python.tar.gz'
    tgz_md5 = 'eb9058c3a382ffc7106e4002c42a8d85'
    train_list = [['train', '16019d7e3df5f24257cddd939b257f8d']]
    test_list = [['test', 'f0ef6b0ae62326f3e7ffdfab6717acfc']]
    meta = {'filename': 'meta', 'key': 'fine_label_names', 'md5': None}
    METAINFO = {'classes': CIFAR100_CATEGORIES}
