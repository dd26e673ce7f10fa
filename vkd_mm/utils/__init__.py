from .atomic_io import ATOMIC_BACKEND, AtomicLocalBackend, DiskFullError, atomic_write
from .checkpoint import (TRUST_CHECKPOINTS_KEY, CheckpointNotTrustedError, NotACheckpointError,
                         checkpoint_safe_globals, export_student_state_dict, extract_state_dict,
                         load_checkpoint_checked, load_checkpoint_file, load_state_dict_checked,
                         use_checkpoint_policy)
from .checkpoint_cli import (add_trust_checkpoint_argument, checkpoint_tool_parser,
                             load_tool_checkpoint)
from .config import load_config, load_run_config
from .launch import distributed_backend, prepare_distributed
from .numerics import ONEDNN_VARIABLE, PORTABLE_CPU_NUMERICS, use_onednn_setting
from .optional import host_installed

__all__ = [
    'export_student_state_dict', 'use_checkpoint_policy', 'load_checkpoint_file',
    'checkpoint_safe_globals', 'CheckpointNotTrustedError', 'NotACheckpointError',
    'TRUST_CHECKPOINTS_KEY', 'checkpoint_tool_parser', 'load_tool_checkpoint',
    'add_trust_checkpoint_argument', 'extract_state_dict', 'load_state_dict_checked',
    'load_checkpoint_checked', 'prepare_distributed', 'distributed_backend', 'load_config',
    'load_run_config', 'host_installed', 'ATOMIC_BACKEND', 'AtomicLocalBackend', 'DiskFullError',
    'atomic_write', 'ONEDNN_VARIABLE', 'PORTABLE_CPU_NUMERICS', 'use_onednn_setting'
]
