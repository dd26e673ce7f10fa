"""Distributed start-up for CPU machines.

MMEngine 0.10.7 cannot start a ``launcher='pytorch'`` run without CUDA: its ``init_dist`` calls
``torch.cuda.set_device`` unconditionally, and the Runner wraps the model in
MMDistributedDataParallel with ``device_ids=[LOCAL_RANK]``, which DDP rejects for a CPU module.
:func:`prepare_distributed` initialises the process group itself (gloo without CUDA, nccl with
it), which makes the Runner skip its own initialisation, and gives the CPU case a wrapper config
without device ids.
"""
import os

import torch
import torch.distributed as dist
from mmengine.config import Config

__all__ = ['prepare_distributed', 'distributed_backend']


def distributed_backend() -> str:
    """nccl when CUDA is available, otherwise gloo."""
    return 'nccl' if torch.cuda.is_available() else 'gloo'


def prepare_distributed(cfg: Config, launcher: str) -> None:
    """Set up a torchrun-launched run before the Runner is built.

    Args:
        cfg (Config): the run config; ``launcher``, ``env_cfg.dist_cfg.backend`` and, without
            CUDA, ``model_wrapper_cfg`` are filled in.
        launcher (str): ``'none'`` or ``'pytorch'`` (torchrun); others are left to MMEngine.
    """
    cfg.launcher = launcher
    if launcher != 'pytorch':
        return
    backend = distributed_backend()
    cfg.setdefault('env_cfg', {}).setdefault('dist_cfg', {})['backend'] = backend
    if torch.cuda.is_available():
        return
    if not dist.is_initialized():
        dist.init_process_group(backend=backend, rank=int(os.environ['RANK']),
                                world_size=int(os.environ['WORLD_SIZE']))
    wrapper = dict(cfg.get('model_wrapper_cfg') or dict(type='MMDistributedDataParallel'))
    wrapper.update(device_ids=None, broadcast_buffers=False)
    wrapper.setdefault('find_unused_parameters', cfg.get('find_unused_parameters', False))
    cfg.model_wrapper_cfg = wrapper
