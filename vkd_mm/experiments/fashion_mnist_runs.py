"""The Fashion-MNIST benchmark's runs: the cached teacher (with WKD-L's category costs) and
every (seed, student, row) run, stored so that reruns and invocations side by side share them."""
import copy
import hashlib
import json
import os
import os.path as osp
from typing import Dict, List

from mmengine.config import Config
from mmengine.runner import Runner

from .cache import TeacherCache, teacher_key
from .fashion_mnist import (CURVE_ROWS, STUDENT_ROWS, TEACHER_CONFIG, config_dir, prepare_config,
                            row_config)
from .progress import Progress
from .run_store import claim_run, store_result
from .step_stats import train_measured

__all__ = ['prepare_teacher', 'make_cost_matrix', 'run_rows']


def prepare_teacher(args, data: List[str]) -> dict:
    """The teacher's record (``checkpoint``, ``config``, ``top1``, ``cost_matrix``, ...): from
    the cache under ``args.work_dir/teachers`` when the same config, data files and code trained
    one, else trained now (under ``--report`` it stops instead, naming the directory it looked
    in); WKD-L's costs are made beside it when a row needs them."""
    config = osp.join(config_dir(), TEACHER_CONFIG)
    probe = prepare_config(
        config, args, '', 0, args.teacher_epochs, train_size=args.teacher_train_size)
    cache = TeacherCache(osp.join(args.work_dir, 'teachers'))
    key = teacher_key(probe.pretty_text, data)
    if args.report and cache.get(key) is None:
        raise SystemExit(
            '--report trains nothing, and no teacher of these settings is stored at '
            f'{cache.directory(key)}: give the --work-dir and the teacher options of the runs to '
            'report, or run the command without --report to train them')

    def train(teacher_dir: str) -> dict:
        print(
            f'[teacher] training {TEACHER_CONFIG} for {args.teacher_epochs} epochs '
            f'into {teacher_dir}',
            flush=True)
        cfg = prepare_config(
            config, args, teacher_dir, 0, args.teacher_epochs, train_size=args.teacher_train_size)
        cfg.default_hooks.checkpoint = dict(
            type='CheckpointHook', interval=args.teacher_epochs, max_keep_ckpts=1)
        with args.cpu_lock:
            record = train_measured(cfg)
        record['checkpoint'] = osp.join(teacher_dir, f'epoch_{args.teacher_epochs}.pth')
        record['config'] = osp.join(teacher_dir, 'teacher_config.py')
        cfg.dump(record['config'])
        print(f'[teacher] top-1 {record["top1"]:.2f} in {record["wall_s"]:.0f} s', flush=True)
        return record

    record = cache.fetch(key, train)
    teacher_dir = cache.directory(key)
    if record['cached']:
        print(f'[teacher] cached: {teacher_dir} (top-1 {record["top1"]:.2f})', flush=True)
    record['cost_matrix'] = osp.join(teacher_dir, 'wkd_cost.pth')
    if 'wkd-l' in args.rows and not osp.isfile(record['cost_matrix']):
        with args.cpu_lock:
            make_cost_matrix(record['config'], record['checkpoint'], record['cost_matrix'],
                             osp.join(teacher_dir, 'wkd_cost'))
    return record


def make_cost_matrix(config: str, checkpoint: str, out: str, work_dir: str) -> None:
    """WKD-L's category costs from the teacher, as tools/wkd_cost_matrix.py makes them: the
    training images through the test transform, in order, into :class:`CategoryCostLoop`."""
    from vkd_mm.utils import load_checkpoint_checked
    print('[teacher] WKD-L costs (CategoryCostLoop over the training images)', flush=True)
    cfg = Config.fromfile(config)
    loader = copy.deepcopy(cfg.train_dataloader)
    loader.dataset.pipeline = copy.deepcopy(cfg.test_dataloader.dataset.pipeline)
    loader.sampler = dict(type='DefaultSampler', shuffle=False)
    cfg.test_dataloader = loader
    cfg.test_cfg = dict(
        type='CategoryCostLoop', out_file=out, num_classes=cfg.model.head.num_classes)
    cfg.test_evaluator = dict(type='Accuracy')
    cfg.work_dir = work_dir
    cfg.experiment_name = 'wkd_cost'
    for key in ('train_dataloader', 'train_cfg', 'optim_wrapper', 'param_scheduler',
                'val_dataloader', 'val_cfg', 'val_evaluator', 'load_from'):
        cfg.pop(key, None)
    runner = Runner.from_cfg(cfg)
    load_checkpoint_checked(runner.model, checkpoint, role='teacher')
    runner.test()


def _run_config(args, teacher: dict, student: str, row: str, seed: int, work_dir: str) -> Config:
    cfg = prepare_config(
        row_config(student, row), args, work_dir, seed, args.epochs, every_epoch=row in CURVE_ROWS)
    if cfg.model.type == 'VkDDistiller':
        cfg.model.teacher_ckpt = teacher['checkpoint']
        if args.teacher_dtype:
            cfg.model.teacher_dtype = args.teacher_dtype
        for pair in cfg.model.get('logit_distill', []):
            if 'cost_matrix' in pair.loss:
                pair.loss.cost_matrix = teacher['cost_matrix']
    return cfg


def run_rows(args, teacher: dict, data_hash: str, start: float) -> Dict[str, dict]:
    """Train every (seed, student, row) of ``args`` not stored yet at its settings (train size,
    epochs, batch, teacher); return the records of ``args``' seeds, students and rows, keyed
    'student/row/seed'."""
    settings = dict(
        train_size=args.train_size,
        test_size=args.test_size,
        epochs=args.epochs,
        batch_size=args.batch_size,
        teacher=teacher['checkpoint'],
        data=data_hash)
    if args.teacher_dtype:
        settings['teacher_dtype'] = args.teacher_dtype
    if args.threads != 2:  # the kernels' summation order depends on the thread count
        settings['threads'] = args.threads
    settings_key = hashlib.sha256(json.dumps(settings, sort_keys=True).encode()).hexdigest()[:12]
    results_path = osp.join(args.work_dir, f'results-{settings_key}.json')
    claims = osp.join(args.work_dir, 'runs', settings_key)
    os.makedirs(claims, exist_ok=True)
    store_result(results_path)  # fails early on an unreadable file

    runs = [(seed, student, row) for seed in args.seeds for student in args.students
            for row in args.rows if row in STUDENT_ROWS[student]]
    progress = Progress(len(runs), start)
    for index, (seed, student, row) in enumerate(runs):
        key = f'{student}/{row}/{seed}'
        name = f'{student}_{row}_seed{seed}'
        if key in store_result(results_path) or args.report or not claim_run(
                osp.join(claims, f'{name}.claim')):
            continue
        cfg = _run_config(args, teacher, student, row, seed, osp.join(claims, name))
        progress.step(key, index + 1)
        with args.cpu_lock:
            record = train_measured(cfg)
        record.update(student=student, row=row, seed=seed)
        store_result(results_path, key, record)
        print(
            f'    top-1 {record["top1"]:.2f}  {record["step_ms"] or 0:.0f} ms/step  '
            f'{record["wall_s"]:.0f} s',
            flush=True)

    return {
        k: v
        for k, v in store_result(results_path).items()
        if v['seed'] in args.seeds and v['student'] in args.students and v['row'] in args.rows
    }
