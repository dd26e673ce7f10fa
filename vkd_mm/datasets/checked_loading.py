"""Image loading that names the file and the sample it failed on, or skips it on request.

MMCV's ``LoadImageFromFile`` stops on an unreadable image with the file's name but not the
sample's index, and its ``ignore_empty=True`` skips a missing file silently (the dataset then
draws another sample) while a file that exists but does not decode still stops the run.
:class:`CheckedLoadImageFromFile` takes the same arguments plus ``on_error``:

- ``'raise'`` (default): :class:`UnreadableImageError` naming the file, the sample index and
  the reason (missing, empty, not an image, cut short);
- ``'skip'``: the sample is dropped (the transform returns None, so MMEngine's ``BaseDataset``
  draws another sample during training, as for any pipeline that returns None), and each skip
  is logged as a warning with the file, the index and the number of samples this process has
  skipped so far. A test-mode dataset raises on None, so validation still stops.
"""
import logging
from typing import Optional

from mmcv.transforms import LoadImageFromFile
from mmengine.logging import print_log

from vkd_mm.registry import TRANSFORMS

__all__ = ['CheckedLoadImageFromFile', 'UnreadableImageError']

_POLICIES = ('raise', 'skip')


class UnreadableImageError(OSError):
    """An image of a dataset cannot be read or decoded."""


@TRANSFORMS.register_module()
class CheckedLoadImageFromFile(LoadImageFromFile):
    """``LoadImageFromFile`` that names the sample of an unreadable image, or skips it.

    Args:
        on_error (str): ``'raise'`` or ``'skip'``. Default: ``'raise'``.
        **kwargs: the arguments of MMCV's ``LoadImageFromFile`` (``ignore_empty`` is not
            accepted: ``on_error='skip'`` covers it and counts what it skips).
    """

    def __init__(self, on_error: str = 'raise', **kwargs) -> None:
        if on_error not in _POLICIES:
            raise ValueError(f'on_error must be one of {_POLICIES}, got {on_error!r}')
        if 'ignore_empty' in kwargs:
            raise ValueError("CheckedLoadImageFromFile has no ignore_empty: use on_error='skip', "
                             'which also skips images that do not decode, and logs each skip')
        super().__init__(**kwargs)
        self.on_error = on_error
        self.skipped = 0  # samples this process has skipped

    def transform(self, results: dict) -> Optional[dict]:
        try:
            return super().transform(results)
        except Exception as error:  # noqa: B902  any failure to read or decode the file
            reason = f'{type(error).__name__}: {error}'
        where = f"image {results['img_path']} (sample {results.get('sample_idx', '?')})"
        if self.on_error == 'raise':
            raise UnreadableImageError(
                f'cannot read {where}: {reason}. Replace or remove the file (and its '
                "annotation), or set on_error='skip' in CheckedLoadImageFromFile of the "
                'training pipeline to skip unreadable images') from None
        self.skipped += 1
        print_log(
            f'skipped {where}, which cannot be read ({reason}); {self.skipped} skipped '
            'so far in this process',
            logger='current',
            level=logging.WARNING)
        return None

    def __repr__(self) -> str:
        return super().__repr__()[:-1] + f', on_error={self.on_error!r})'
