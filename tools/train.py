"""Train a model (a distiller or a stock OpenMMLab model) from a config.

Same command line as MMDetection's and MMPretrain's ``tools/train.py``. Distributed runs start
through ``tools/dist_train.sh`` (torchrun); without CUDA they use the gloo backend.
"""
import argparse
import os

from mmengine.config import DictAction

from vkd_mm.experiments import build_runner, prepare_training
from vkd_mm.utils import load_run_config


def parse_args():
    parser = argparse.ArgumentParser(description='Train a model')
    parser.add_argument('config', help='train config file path')
    parser.add_argument('--work-dir', help='the dir to save logs and models')
    parser.add_argument('--amp', action='store_true', help='enable automatic mixed precision')
    parser.add_argument(
        '--resume',
        nargs='?',
        type=str,
        const='auto',
        help='resume from the given checkpoint, or from the newest complete one in the work dir '
        'if no path is given (a run restarted by torchrun or requeued by Slurm does this by '
        'itself)')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override settings of the config, xxx=yyy format')
    parser.add_argument(
        '--launcher',
        choices=['none', 'pytorch', 'slurm', 'mpi'],
        default='none',
        help='job launcher')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args()
    os.environ.setdefault('LOCAL_RANK', str(args.local_rank))
    return args


def main():
    args = parse_args()
    cfg = load_run_config(args.config, args.cfg_options, args.launcher, args.work_dir)

    if args.amp:
        optim_wrapper = cfg.optim_wrapper.get('type', 'OptimWrapper')
        if optim_wrapper not in ('OptimWrapper', 'AmpOptimWrapper'):
            raise ValueError(f'--amp needs an OptimWrapper or AmpOptimWrapper, the config has '
                             f'{optim_wrapper}')
        cfg.optim_wrapper.type = 'AmpOptimWrapper'
        cfg.optim_wrapper.setdefault('loss_scale', 'dynamic')

    # checkpoints load with weights_only=True unless the config trusts them; a resumed run
    # reproduces the uninterrupted one; a restarted run (torchrun, Slurm requeue) resumes from
    # the newest complete checkpoint; checkpoints are written atomically and on SIGTERM
    # (docs/reliability.md)
    prepare_training(cfg, args.resume)
    # as MMDetection's train script: a config's runner_type (e.g. 'FlexibleRunner' with a
    # DeepSpeed or FSDP strategy) picks the runner
    build_runner(cfg).train()


if __name__ == '__main__':
    main()
