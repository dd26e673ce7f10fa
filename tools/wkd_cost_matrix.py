"""Compute WKD-L's category cost matrix from a trained classifier (the teacher).

Runs the classifier over its training set with the test transform (as the official WKD tool
does), keeps the same number of outputs for every class, and saves 1 - linear CKA between the
classes (see vkd_mm.engine.CategoryCostLoop for the file format).

Usage:
    python tools/wkd_cost_matrix.py TEACHER_CONFIG TEACHER_CKPT --out costs.pth \
        [--samples-per-class N] [--cfg-options k=v ...]
TEACHER_CONFIG may name a package config, e.g. mmpretrain::resnet/resnet34_8xb32_in1k.py.
"""
import argparse
import copy
import os.path as osp
import tempfile

from mmengine.config import DictAction
from mmengine.runner import Runner

from vkd_mm.utils import TRUST_CHECKPOINTS_KEY, load_config, use_checkpoint_policy


def parse_args():
    parser = argparse.ArgumentParser(description='WKD-L category cost matrix')
    parser.add_argument('config', help='config of the teacher classifier')
    parser.add_argument('checkpoint', help='teacher weights')
    parser.add_argument('--out', required=True, help='output .pth file')
    parser.add_argument(
        '--samples-per-class',
        type=int,
        default=None,
        help='outputs kept per class (default: the smallest class count)')
    parser.add_argument(
        '--num-classes',
        type=int,
        default=None,
        help='default: model.head.num_classes of the config')
    parser.add_argument('--work-dir', default=None)
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    return parser.parse_args()


def main():
    args = parse_args()
    cfg = load_config(args.config)
    if args.cfg_options is not None:
        cfg.merge_from_dict(args.cfg_options)
    num_classes = args.num_classes or cfg.model.head.num_classes

    # the training images through the test transform, in a fixed order
    loader = copy.deepcopy(cfg.train_dataloader)
    loader.dataset.pipeline = copy.deepcopy(cfg.test_dataloader.dataset.pipeline)
    loader.sampler = dict(type='DefaultSampler', shuffle=False)
    cfg.test_dataloader = loader
    cfg.test_cfg = dict(
        type='CategoryCostLoop',
        out_file=osp.abspath(args.out),
        num_classes=num_classes,
        samples_per_class=args.samples_per_class)
    cfg.test_evaluator = dict(type='Accuracy')
    cfg.load_from = args.checkpoint
    use_checkpoint_policy(trust=cfg.get(TRUST_CHECKPOINTS_KEY, False))  # weights_only=True
    cfg.work_dir = args.work_dir or tempfile.mkdtemp(prefix='wkd_cost_')
    cfg.custom_imports = dict(imports=['vkd_mm'], allow_failed_imports=False)
    for key in ('train_dataloader', 'train_cfg', 'optim_wrapper', 'param_scheduler',
                'val_dataloader', 'val_cfg', 'val_evaluator'):
        cfg.pop(key, None)
    Runner.from_cfg(cfg).test()


if __name__ == '__main__':
    main()
