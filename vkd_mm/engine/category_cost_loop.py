"""An MMEngine loop that collects a classifier's outputs per class and writes WKD-L costs."""
import os
import os.path as osp
from typing import Dict, List, Optional

import torch
from mmengine.dist import get_rank
from mmengine.runner import BaseLoop
from mmengine.utils import ProgressBar

from vkd_mm.models.ops import category_cost_matrix
from vkd_mm.registry import LOOPS

__all__ = ['CategoryCostLoop']


@LOOPS.register_module()
class CategoryCostLoop(BaseLoop):
    """Runs the model over a dataloader in ``tensor`` mode and saves category distances.

    Every class keeps its first ``samples_per_class`` outputs (the official tool truncates every
    class to the smallest class count; pass that count, or leave it None to use it). The file is
    a dict ``{'cost_matrix': (n, n) float32, 'samples_per_class': m, 'classes': [...],
    'method': 'linear_cka'}``, which :func:`vkd_mm.models.ops.load_cost_matrix` reads.

    Args:
        runner (Runner): the runner.
        dataloader (DataLoader | dict): data to run over (the training set with the test
            transform, officially).
        out_file (str): where to save the matrix.
        num_classes (int): number of classes n.
        samples_per_class (int, optional): rows per class m.
        evaluator: unused; accepted because the Runner passes one to test loops.
    """

    def __init__(self,
                 runner,
                 dataloader,
                 out_file: str,
                 num_classes: int,
                 samples_per_class: Optional[int] = None,
                 evaluator=None) -> None:
        super().__init__(runner, dataloader)
        self.out_file = out_file
        self.num_classes = num_classes
        self.samples_per_class = samples_per_class

    @torch.no_grad()
    def run(self) -> Dict[str, float]:
        self.runner.call_hook('before_test')
        model = self.runner.model
        model.eval()
        per_class: List[List[torch.Tensor]] = [[] for _ in range(self.num_classes)]
        progress = ProgressBar(len(self.dataloader)) if get_rank() == 0 else None
        for data_batch in self.dataloader:
            data = model.data_preprocessor(data_batch, False)
            outputs = model(**data, mode='tensor')
            if isinstance(outputs, (tuple, list)):
                outputs = outputs[-1]
            for output, sample in zip(outputs.float().cpu(), data['data_samples']):
                label = int(sample.gt_label)
                if self.samples_per_class is None or \
                        len(per_class[label]) < self.samples_per_class:
                    per_class[label].append(output.flatten())
            if progress is not None:
                progress.update()
        counts = [len(rows) for rows in per_class]
        if min(counts) < 2:
            raise ValueError(f'every class needs at least 2 samples; the fewest is {min(counts)} '
                             f'(class {counts.index(min(counts))})')
        rows = min(counts)
        features = torch.stack([torch.stack(class_rows[:rows]) for class_rows in per_class])
        cost = category_cost_matrix(features)
        classes = self.dataloader.dataset.metainfo.get('classes')
        if get_rank() == 0:
            os.makedirs(osp.dirname(osp.abspath(self.out_file)), exist_ok=True)
            torch.save(
                dict(
                    cost_matrix=cost,
                    samples_per_class=rows,
                    classes=list(classes) if classes else None,
                    method='linear_cka'), self.out_file)
        self.runner.logger.info(f'saved a {self.num_classes} x {self.num_classes} cost matrix '
                                f'({rows} samples per class) to {self.out_file}')
        self.runner.call_hook('after_test')
        return dict(samples_per_class=float(rows))
