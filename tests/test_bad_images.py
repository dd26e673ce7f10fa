"""An unreadable image in a training set: an error naming the file and the sample, or a skip.

One image of a toy set is spoiled (cut short, or replaced by text) and loaded through the toy
configs' pipelines (``CheckedLoadImageFromFile``): classification in a real MMEngine training
run of the toy student, detection through MMDetection's ``CocoDataset``.
"""
import glob
import os.path as osp

import pytest
from mmengine.config import Config
from mmengine.runner import Runner

from vkd_mm.datasets import UnreadableImageError, make_toy_coco, make_toy_shapes
from .conftest import REPO_ROOT, TOY_STUDENT_CONFIG

DETECTOR = osp.join(REPO_ROOT, 'configs/toy/retinanet_r18-w16_toy-coco.py')


def cut_short(path: str) -> None:
    with open(path, 'rb+') as file:
        file.truncate(osp.getsize(path) // 2)


def student_run(data_root: str, work_dir: str, on_error: str = 'raise') -> Runner:
    """One epoch of the toy student on 12 images in one batch, no validation."""
    cfg = Config.fromfile(TOY_STUDENT_CONFIG)
    cfg.train_dataloader.dataset.data_root = data_root
    cfg.train_dataloader.batch_size = 12
    cfg.train_dataloader.dataset.pipeline[0].on_error = on_error
    cfg.train_cfg = dict(by_epoch=True, max_epochs=1, val_interval=100)
    cfg.param_scheduler = []
    cfg.val_dataloader = cfg.val_evaluator = cfg.val_cfg = None
    cfg.test_dataloader = cfg.test_evaluator = cfg.test_cfg = None
    cfg.default_hooks.checkpoint = None
    cfg.work_dir = work_dir
    cfg.experiment_name = osp.basename(work_dir)
    return Runner.from_cfg(cfg)


@pytest.fixture
def spoiled_shapes(tmp_path):
    """12 toy shapes images, one cut short: (data root, its file, its sample index)."""
    root = make_toy_shapes(str(tmp_path / 'shapes'), {'train': 2})
    runner = student_run(root, str(tmp_path / 'probe'))
    dataset = runner.train_dataloader.dataset
    index = 5
    path = dataset.get_data_info(index)['img_path']
    cut_short(path)
    return root, path, index


def test_training_stops_naming_the_unreadable_image_and_its_index(spoiled_shapes, tmp_path):
    root, path, index = spoiled_shapes
    runner = student_run(root, str(tmp_path / 'raise'))
    with pytest.raises(UnreadableImageError) as error:
        runner.train()
    message = str(error.value)
    assert f'cannot read image {path} (sample {index})' in message
    assert "on_error='skip'" in message


def test_skip_trains_on_and_counts_and_logs_the_skipped_image(spoiled_shapes, tmp_path):
    root, path, index = spoiled_shapes
    work_dir = str(tmp_path / 'skip')
    runner = student_run(root, work_dir, on_error='skip')
    runner.train()
    assert runner.iter == 1  # the batch was filled with another sample
    assert runner.train_dataloader.dataset.pipeline.transforms[0].skipped == 1
    log = ''.join(open(name).read() for name in glob.glob(osp.join(work_dir, '*', '*.log')))
    assert f'skipped image {path} (sample {index}), which cannot be read' in log
    assert '1 skipped so far in this process' in log


@pytest.mark.parametrize('on_error', ['raise', 'skip'])
def test_a_detection_image_that_is_not_an_image(on_error, mmdet_scope, tmp_path):
    from mmdet.registry import DATASETS
    root = make_toy_coco(str(tmp_path / 'coco'), {'train': 4})
    cfg = Config.fromfile(DETECTOR).train_dataloader.dataset
    cfg.data_root = root + '/'
    cfg.pipeline[0].on_error = on_error
    dataset = DATASETS.build(cfg)
    index = 2
    path = dataset.get_data_info(index)['img_path']
    with open(path, 'w') as file:
        file.write('<html>404 Not Found</html>')
    if on_error == 'raise':
        with pytest.raises(
                UnreadableImageError, match=f'cannot read image {path} '
                fr'\(sample {index}\)'):
            dataset[index]
    else:
        sample = dataset[index]  # another image, drawn by MMEngine's BaseDataset
        assert sample['data_samples'].img_path != path
        assert dataset.pipeline.transforms[0].skipped == 1
