"""Distributed start-up for torchrun: CPU machines, and groups that torchrun restarts.

MMEngine 0.10.7 cannot start a ``launcher='pytorch'`` run without CUDA: its ``init_dist`` calls
``torch.cuda.set_device`` unconditionally, and the Runner wraps the model in
MMDistributedDataParallel with ``device_ids=[LOCAL_RANK]``, which DDP rejects for a CPU module.
:func:`prepare_distributed` initialises the process group itself (gloo without CUDA, nccl with
it), which makes the Runner skip its own initialisation, and gives the CPU case a wrapper config
without device ids.

Restarts: torchrun's static rendezvous (the one ``tools/dist_train.sh`` starts) keeps one
key-value store for all restarts of a worker group, and its workers connect to it without a
prefix of their own, so a restarted group can read the addresses that the group before it
published (gloo then fails with "Connection refused", nccl with a stale unique id). The process
group is therefore made on that store under a prefix naming the attempt
(``TORCHELASTIC_RESTART_COUNT``).
"""
import os
from datetime import timedelta
from typing import Optional

import torch
import torch.distributed as dist
from mmengine.config import Config

__all__ = ['prepare_distributed', 'distributed_backend']


def distributed_backend() -> str:
    """nccl when CUDA is available, otherwise gloo."""
    return 'nccl' if torch.cuda.is_available() else 'gloo'


def _attempt_store() -> Optional[dist.Store]:
    """torchrun's agent store under ``attempt_<restart count>/``, or None without an agent
    store (``init_process_group`` then reads ``MASTER_ADDR`` and ``MASTER_PORT`` itself)."""
    if os.environ.get('TORCHELASTIC_USE_AGENT_STORE') != str(True):
        return None
    store = dist.TCPStore(
        os.environ['MASTER_ADDR'],
        int(os.environ['MASTER_PORT']),
        int(os.environ['WORLD_SIZE']),
        is_master=False)
    return dist.PrefixStore(f"attempt_{os.environ.get('TORCHELASTIC_RESTART_COUNT', '0')}/", store)


def prepare_distributed(cfg: Config, launcher: str) -> None:
    """Set up a torchrun-launched run before the Runner is built.

    Args:
        cfg (Config): the run config; ``launcher``, ``env_cfg.dist_cfg.backend`` and, without
            CUDA, ``model_wrapper_cfg`` are filled in; ``env_cfg.dist_cfg.timeout`` (seconds)
            reaches ``init_process_group``.
        launcher (str): ``'none'`` or ``'pytorch'`` (torchrun); others are left to MMEngine.
    """
    cfg.launcher = launcher
    if launcher != 'pytorch':
        return
    backend = distributed_backend()
    dist_cfg = cfg.setdefault('env_cfg', {}).setdefault('dist_cfg', {})
    dist_cfg['backend'] = backend
    # NOTE DeepSpeed and ColossalAI (FlexibleRunner's init_backend) start their groups themselves
    if not dist.is_initialized() and dist_cfg.get('init_backend', 'torch') == 'torch':
        if torch.cuda.is_available():
            torch.cuda.set_device(int(os.environ['LOCAL_RANK']))
        options = {}
        if dist_cfg.get('timeout') is not None:  # seconds, as MMEngine's init_dist takes it
            options['timeout'] = timedelta(seconds=dist_cfg['timeout'])
        dist.init_process_group(
            backend=backend,
            store=_attempt_store(),
            rank=int(os.environ['RANK']),
            world_size=int(os.environ['WORLD_SIZE']),
            **options)
    if torch.cuda.is_available():
        return
    wrapper = dict(cfg.get('model_wrapper_cfg') or dict(type='MMDistributedDataParallel'))
    wrapper.update(device_ids=None, broadcast_buffers=False)
    wrapper.setdefault('find_unused_parameters', cfg.get('find_unused_parameters', False))
    cfg.model_wrapper_cfg = wrapper
