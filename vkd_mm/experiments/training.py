"""Training in this process: tools/train.py's run setup, and a runner that trains with hooks."""
from typing import Iterable, Optional

from mmengine.config import Config
from mmengine.hooks import Hook
from mmengine.registry import RUNNERS
from mmengine.runner import Runner

from vkd_mm.engine import enable_exact_resume, enable_fault_tolerance, resolve_resume
from vkd_mm.utils import TRUST_CHECKPOINTS_KEY, use_checkpoint_policy, use_onednn_setting

__all__ = ['prepare_training', 'build_runner', 'train_in_process']


def prepare_training(cfg: Config,
                     resume: Optional[str] = None,
                     trust: Optional[bool] = None) -> None:
    """Set up a loaded run config (:func:`vkd_mm.utils.load_run_config`) as tools/train.py does.

    Installs the checkpoint policy (``weights_only`` loading unless ``trust``, default the
    config's ``trust_checkpoints``), resolves ``resume`` (``--resume``: None, ``'auto'`` or a
    path; a restarted run resumes by itself), enables exact resume and fault tolerance
    (docs/reliability.md), and switches oneDNN off under ``VKD_MM_ONEDNN=0``
    (:mod:`vkd_mm.utils.numerics`). Changes ``cfg`` in place.
    """
    use_onednn_setting()
    use_checkpoint_policy(trust=cfg.get(TRUST_CHECKPOINTS_KEY, False) if trust is None else trust)
    resolve_resume(cfg, resume)
    enable_exact_resume(cfg)
    enable_fault_tolerance(cfg)


def build_runner(cfg: Config) -> Runner:
    """The runner of ``cfg``: its ``runner_type`` (e.g. ``'FlexibleRunner'``) when it names one,
    else MMEngine's ``Runner``, as MMDetection's train script picks it."""
    return RUNNERS.build(cfg) if 'runner_type' in cfg else Runner.from_cfg(cfg)


def train_in_process(cfg: Config, hooks: Iterable[Hook] = ()) -> Runner:
    """Train ``cfg`` in this process with ``hooks`` added; return the runner after training
    (``runner.model`` is the trained model)."""
    runner = build_runner(cfg)
    for hook in hooks:
        runner.register_hook(hook)
    runner.train()
    return runner
