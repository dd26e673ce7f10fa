"""Bitwise-exact resume: a run killed at any point and resumed ends as the uninterrupted run.

Restoring saved RNG states is not enough in MMEngine 0.10.7: between a checkpoint and the next
training step the uninterrupted run validates, creates data-loader iterators and workers, and
a resumed run builds and initialises the model and replays or restarts data, and each of these
draws from the global generators. So the random streams are instead made functions of the
position in training, and the checkpoint keeps what they are derived from:

- every batch is loaded with Python's, NumPy's and torch's generators seeded from
  ``(seed, epoch, the batch's sample indices)``, in whichever process loads it (main process or
  data-loader worker): the data pipeline's random choices do not depend on worker count,
  prefetching, persistent workers or what ran before (:class:`SeededBatchFetch`);
- before every training iteration the generators of each process are seeded from
  ``(seed, rank, iteration)``, so dropout, noise and mixing in ``train_step`` are a function of
  the iteration (:meth:`ExactResumeHook.before_train_iter`);
- the checkpoint stores the seed, the sampler's seed and the position (``exact_resume``); on
  resume the sampler's seed is restored (MMEngine builds the sampler with a fresh random seed
  when ``randomness.seed`` is None, before it reads the checkpoint), and
  :class:`ExactResumeEpochBasedTrainLoop` continues an epoch-based run mid-epoch at the batch
  after the checkpoint (MMEngine's ``EpochBasedTrainLoop`` restarts the epoch from its first
  batch, training those batches twice). ``IterBasedTrainLoop`` already replays the data up to
  the checkpoint's iteration; with the seeding above the replay is exact.

:func:`enable_exact_resume` adds the hook and the loop to a config; ``tools/train.py`` calls it.
Exactness holds on the CPU; GPU kernels that are not deterministic (atomics in
backward passes, cuDNN algorithm choice) still differ between runs.
"""
import hashlib
import random
import warnings
from typing import Optional, Sequence

import numpy as np
import torch
from mmengine.config import Config
from mmengine.dist import get_dist_info
from mmengine.hooks import Hook
from mmengine.runner import EpochBasedTrainLoop

from vkd_mm.registry import HOOKS, LOOPS

__all__ = [
    'derive_seed', 'seed_all', 'SeededBatchFetch', 'ExactResumeHook',
    'ExactResumeEpochBasedTrainLoop', 'enable_exact_resume'
]

_STATE_KEY = 'exact_resume'  # the checkpoint entry written by ExactResumeHook
_STATE_VERSION = 1


def derive_seed(*words: int) -> int:
    """A 63-bit seed that depends on every word (a hash, so nearby inputs give unrelated seeds)."""
    data = np.asarray(words, dtype=np.int64).tobytes()
    return int.from_bytes(hashlib.blake2b(data, digest_size=8).digest(), 'little') >> 1


def seed_all(seed: int) -> None:
    """Seed Python's, NumPy's and torch's (CPU and CUDA) global generators."""
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


class SeededBatchFetch:
    """Loads a batch with the generators seeded from (seed, epoch, sample indices).

    Installed as the training dataset's ``__getitems__``, which torch's DataLoader calls with
    the indices of one batch, in the main process or a worker.

    Args:
        dataset: the training dataset.
        seed (int): the run's seed.
        sampler: read for its ``epoch`` (if it has one) at every batch.
        use_epoch (bool): fold the epoch in; False for persistent workers, whose copy of the
            sampler keeps the epoch they started in.
    """

    def __init__(self, dataset, seed: int, sampler=None, use_epoch: bool = True) -> None:
        self.dataset = dataset
        self.seed = seed
        self.sampler = sampler
        self.use_epoch = use_epoch
        # a dataset class with its own batched loading keeps it
        self.batched = getattr(type(dataset), '__getitems__', None)

    def __call__(self, indices: Sequence[int]) -> list:
        epoch = getattr(self.sampler, 'epoch', 0) if self.use_epoch else 0
        seed_all(derive_seed(self.seed, epoch, *indices))
        if self.batched is not None:
            return self.batched(self.dataset, indices)
        return [self.dataset[index] for index in indices]


@HOOKS.register_module()
class ExactResumeHook(Hook):
    """Makes the random streams of training a function of the position, and resume exact.

    See the module docstring for the mechanism. The checkpoint gets an ``exact_resume`` entry
    (seed, sampler seed, position, world size, batches per epoch); resuming from a checkpoint
    without it, or with another world size or epoch length, warns that the resumed run will
    not equal the uninterrupted one.
    """

    # NOTE runs first in before_train_iter: everything after it draws from the seeded streams
    priority = 'VERY_HIGH'

    def __init__(self) -> None:
        self.seed: Optional[int] = None
        self._resumed: Optional[dict] = None

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        if not getattr(runner, '_resume', False):
            return  # load_from: weights only, training starts afresh
        state = checkpoint.get(_STATE_KEY)
        if state is None:
            warnings.warn('the checkpoint was written without ExactResumeHook (no '
                          f'{_STATE_KEY!r} entry): the resumed run continues, but does not '
                          'reproduce the uninterrupted run bitwise')
            return
        dataloader = runner.train_dataloader
        now = dict(world_size=get_dist_info()[1], batches_per_epoch=len(dataloader))
        changed = {k: (state[k], v) for k, v in now.items() if state.get(k) != v}
        if changed:
            warnings.warn(f'resuming with other settings than the checkpoint was written with '
                          f'(checkpoint, now): {changed}; the resumed run will not reproduce '
                          'the uninterrupted run bitwise')
        sampler = dataloader.sampler
        if state.get('sampler_seed') is not None and hasattr(sampler, 'seed'):
            sampler.seed = state['sampler_seed']
        self._resumed = state

    def before_train(self, runner) -> None:
        self.seed = self._resumed['seed'] if self._resumed else runner.seed
        dataloader = runner.train_dataloader
        persistent = dataloader.num_workers > 0 and dataloader.persistent_workers
        dataloader.dataset.__getitems__ = SeededBatchFetch(
            dataloader.dataset, self.seed, dataloader.sampler, use_epoch=not persistent)
        cached = getattr(dataloader, '_iterator', None)
        if cached is not None:
            # NOTE persistent workers forked before the dataset was seeded (torch keeps them in
            # the private ``_iterator``): stop them so that the next iteration forks new ones
            cached._shutdown_workers()
            dataloader._iterator = None
        loop = runner.train_loop
        iterator = getattr(loop, 'dataloader_iterator', None)
        if iterator is not None:
            # IterBasedTrainLoop made its iterator (and workers) before this hook could seed
            # the dataset or restore the sampler's seed; start it again
            loop.dataloader_iterator = type(iterator)(loop.dataloader)

    def before_train_iter(self, runner, batch_idx: int, data_batch=None) -> None:
        seed_all(derive_seed(self.seed, get_dist_info()[0], runner.iter))

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        dataloader = runner.train_dataloader
        checkpoint[_STATE_KEY] = dict(
            version=_STATE_VERSION,
            seed=self.seed if self.seed is not None else runner.seed,
            sampler_seed=getattr(dataloader.sampler, 'seed', None),
            epoch=checkpoint['meta']['epoch'],
            iter=checkpoint['meta']['iter'],
            world_size=get_dist_info()[1],
            batches_per_epoch=len(dataloader))


@LOOPS.register_module()
class ExactResumeEpochBasedTrainLoop(EpochBasedTrainLoop):
    """``EpochBasedTrainLoop`` that resumes mid-epoch at the batch after the checkpoint.

    MMEngine's loop, resumed from a checkpoint written inside an epoch (``CheckpointHook`` with
    ``by_epoch=False``), starts that epoch at its first batch again, so those batches are
    trained twice and the run ends with more steps than ``max_epochs`` allow. This loop loads
    and drops the batches the checkpoint has already trained (loading keeps every random stream
    as in the uninterrupted run) and passes the hooks the batch index of the uninterrupted run,
    so logging and end-of-epoch checks match it. Epochs must all have the same length.
    """

    def run_epoch(self) -> None:
        self.runner.call_hook('before_train_epoch')
        self.runner.model.train()
        trained = self._iter - self._epoch * len(self.dataloader)  # > 0 after a mid-epoch resume
        for idx, data_batch in enumerate(self.dataloader):
            if idx >= trained:
                self.run_iter(idx, data_batch)
        self.runner.call_hook('after_train_epoch')
        self._epoch += 1


def enable_exact_resume(cfg: Config) -> None:
    """Add :class:`ExactResumeHook` to a run config and resume epoch-based loops mid-epoch.

    Leaves a config alone whose ``exact_resume`` is False. The train loop is swapped only when
    it is MMEngine's ``EpochBasedTrainLoop`` (``by_epoch=True`` or that type); other loops keep
    theirs (``IterBasedTrainLoop`` resumes exactly with the hook alone).
    """
    if not cfg.get('exact_resume', True) or cfg.get('train_cfg') is None:
        return
    hooks = list(cfg.get('custom_hooks', None) or [])
    if not any(hook.get('type') in ('ExactResumeHook', ExactResumeHook) for hook in hooks):
        hooks.append(dict(type='ExactResumeHook'))
    cfg.custom_hooks = hooks
    train_cfg = cfg.train_cfg
    loop_type = train_cfg.get('type', 'EpochBasedTrainLoop' if train_cfg.get('by_epoch') else None)
    if loop_type in ('EpochBasedTrainLoop', EpochBasedTrainLoop):
        train_cfg.pop('by_epoch', None)
        train_cfg.type = 'ExactResumeEpochBasedTrainLoop'
