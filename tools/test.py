"""Evaluate a checkpoint with the evaluator of a config (COCO AP, top-1, FID, ...).

Same command line as MMDetection's and MMPretrain's ``tools/test.py``.
"""
import argparse
import os

from mmengine.config import DictAction
from mmengine.evaluator import DumpResults
from mmengine.runner import Runner

from vkd_mm.utils import (TRUST_CHECKPOINTS_KEY, load_run_config, use_checkpoint_policy,
                          use_onednn_setting)


def parse_args():
    parser = argparse.ArgumentParser(description='Test (and evaluate) a model')
    parser.add_argument('config', help='test config file path')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument('--work-dir', help='the directory to save the evaluation metrics')
    parser.add_argument('--out', help='dump the predictions to a pickle file for offline use')
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
    cfg.load_from = args.checkpoint
    # weights_only=True unless the config trusts checkpoints (README: Reliability)
    use_checkpoint_policy(trust=cfg.get(TRUST_CHECKPOINTS_KEY, False))
    use_onednn_setting()  # VKD_MM_ONEDNN=0: oneDNN off (vkd_mm.utils.numerics)

    runner = Runner.from_cfg(cfg)
    if args.out is not None:
        runner.test_evaluator.metrics.append(DumpResults(out_file_path=args.out))
    runner.test()


if __name__ == '__main__':
    main()
