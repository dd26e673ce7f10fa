"""MMPretrain's Fashion-MNIST read from the four idx files its authors publish, gzipped or not.

Debian's ``dataset-fashion-mnist`` package installs the files gzipped under
``/usr/share/datasets/fashion-mnist/``. MMPretrain 1.2.0's ``FashionMNIST`` reads them unzipped,
tries to download them when they are missing, and picks the training or test files by
``test_mode`` rather than by ``split`` (``split='test'`` alone silently gives the 60,000 training
images). :class:`FashionMNISTIdx` reads either form from any folder, never writes there, never
downloads, and picks the files by ``split``.
"""
from typing import List, Optional

from mmpretrain.datasets import FashionMNIST

from vkd_mm.datasets.fashion_mnist_files import (FASHION_MNIST_APT, FASHION_MNIST_ROOT,
                                                 load_fashion_mnist)
from vkd_mm.registry import DATASETS

__all__ = ['FashionMNISTIdx']


@DATASETS.register_module()
class FashionMNISTIdx(FashionMNIST):
    """MMPretrain's Fashion-MNIST, read from the idx files of any folder, split by ``split``.

    Args:
        data_root (str): folder holding ``{train,t10k}-{images-idx3,labels-idx1}-ubyte``, each
            gzipped or not. Default: Debian's ``/usr/share/datasets/fashion-mnist``.
        split (str): 'train' (60,000 images) or 'test' (10,000). It alone chooses the files.
        test_mode (bool, optional): MMEngine's flag (no retry on a failed sample); default:
            ``split == 'test'``. It does not choose the files here.
        **kwargs: :class:`mmengine.dataset.BaseDataset` arguments (pipeline, indices, ...).
    """

    def __init__(self,
                 data_root: str = FASHION_MNIST_ROOT,
                 split: str = 'train',
                 test_mode: Optional[bool] = None,
                 **kwargs) -> None:
        if kwargs.pop('download', False):
            raise ValueError('FashionMNISTIdx never downloads; install the data with '
                             f'`{FASHION_MNIST_APT}`')
        if test_mode is None:
            test_mode = split == 'test'
        super().__init__(
            data_root=data_root, split=split, download=False, test_mode=test_mode, **kwargs)

    def load_data_list(self) -> List[dict]:
        images, labels = load_fashion_mnist(self.data_prefix['root'], self.split)
        return [dict(img=image, gt_label=int(label)) for image, label in zip(images, labels)]
