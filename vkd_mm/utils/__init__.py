from .checkpoint import (export_student_state_dict, extract_state_dict, load_checkpoint_checked,
                         load_from_local_trusted, load_state_dict_checked,
                         register_trusted_local_loader)
from .config import load_config, load_run_config
from .launch import distributed_backend, prepare_distributed
from .optional import host_installed

__all__ = [
    'export_student_state_dict', 'register_trusted_local_loader', 'load_from_local_trusted',
    'extract_state_dict', 'load_state_dict_checked', 'load_checkpoint_checked',
    'prepare_distributed', 'distributed_backend', 'load_config', 'load_run_config', 'host_installed'
]
