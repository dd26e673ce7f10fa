"""Write one ``metafile.yml`` per config folder and the ``model-index.yml`` that lists them.

The metafiles follow the OpenMMLab schema that ``mim search`` reads: a ``Collection`` per config
folder and a ``Model`` per config (files under ``_base_/`` excepted). Everything comes from the
configs' file names and headers (docs/config_headers.md), never from loading a config:

- ``Metadata``: ``Training Data`` from the name's dataset field (the last ``_``-separated
  field, OpenMMLab's ``{algorithm}_{model}_{schedule}_{dataset}``), ``Epochs`` from a ``<N>e``
  field and ``Batch Size`` from ``<G>xb<B>`` (G * B);
- ``Results``: one entry per ``# paper: Table <N>, <row>, <metric> <figure>`` line whose figure
  is a number. The table gives the task (and the dataset where one table covers one data set);
  a row whose figure is unknown gives no entry.

No weights are released: every model's ``Weights`` says so (``mim search`` shows it).

Usage (from the repository root):
    python tools/misc/make_metafiles.py          # write the files
    python tools/misc/make_metafiles.py --check  # exit 1 and name the files that differ
"""
import argparse
import importlib.util
import os.path as osp
import re
import sys
from pathlib import Path
from types import ModuleType
from typing import Dict, List, Optional, Tuple

import yaml


def _load_config_headers() -> ModuleType:
    """vkd_mm/utils/config_headers.py of this checkout, loaded by its path: importing it from
    the package would import torch and the OpenMMLab libraries, which writing metafiles does not
    need."""
    path = Path(__file__).resolve().parents[2] / 'vkd_mm' / 'utils' / 'config_headers.py'
    spec = importlib.util.spec_from_file_location('vkd_mm_config_headers', path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


config_headers = _load_config_headers()

PAPER = dict(
    URL='https://arxiv.org/abs/2403.06213',
    Title='Improving Knowledge Distillation using Orthogonal Projections')

# the V_kD paper's tables that configs reproduce: (task, dataset); None: the dataset is the
# config name's dataset field (the table covers several data sets)
TABLES: Dict[int, Tuple[str, Optional[str]]] = {
    1: ('Image Classification', 'ImageNet-1k'),
    2: ('Object Detection', 'COCO'),
    3: ('Object Detection', 'COCO'),
    4: ('Conditional GANs', None),
    5: ('Conditional GANs', None),
    6: ('Image Classification', 'ImageNet-1k'),
    7: ('Image Classification', 'CIFAR-100'),
    9: ('Conditional GANs', None),
}

# a config name's dataset field -> the data set's name; a field matches its key or the key
# followed by '-' ('cifar10-10p-32x32' is CIFAR-10)
DATASETS = {
    'in1k': 'ImageNet-1k',
    'coco': 'COCO',
    'cifar10': 'CIFAR-10',
    'cifar100': 'CIFAR-100',
    'fashion-mnist': 'Fashion-MNIST',
    'toy-shapes': 'toy shapes',
    'toy-coco': 'toy COCO',
}

WEIGHTS = 'not released'
# the paper's metric names -> the names OpenMMLab metafiles use
METRICS = {'AP': 'box AP', 'top-1': 'Top 1 Accuracy'}

# the figure: a number with the metric before it; 'P/R: 0.71/0.65' gives a figure per metric
_NUMBER = config_headers.NUMBER
_FIGURE = re.compile(rf'^(?P<metric>.*?)[\s:]*(?P<values>{_NUMBER}(?:/{_NUMBER})*)')
_EPOCHS = re.compile(r'(?:^|[_-])(\d+)e(?:[_-]|$)')
_BATCH = re.compile(r'(?:^|[_-])(\d+)xb(\d+)(?:[_-]|$)')
SCRIPT = 'tools/misc/make_metafiles.py'
GENERATED_NOTE = (f'# Written by {SCRIPT} from the configs\' names and headers: edit those\n'
                  '# and run it again.\n')
# the collection of the configs directly under configs/
ROOT_COLLECTION = 'vkd_mm'


def name_dataset(stem: str) -> Optional[str]:
    """The data set named by a config name's last field, or None when it names none."""
    field = stem.rsplit('_', 1)[-1]
    for key, dataset in DATASETS.items():
        if field == key or field.startswith(key + '-'):
            return dataset
    return None


def paper_results(config: str, lines: List[str], dataset: Optional[str]) -> List[dict]:
    """One ``Results`` entry per ``# paper:`` line of a header whose figure is a number.

    Args:
        config: the config's path, for error messages.
        lines: the header lines.
        dataset: the data set of the config's name, for tables over several data sets.
    """
    results = []
    for line, table, field in config_headers.paper_lines(lines):
        if table not in TABLES:
            raise ValueError(f'{config}: {line!r} names Table {table}, which TABLES in '
                             f'{SCRIPT} does not list: add its task and data set there')
        field = field.strip()
        figure = _FIGURE.match(field)
        if figure is None or config_headers.NOT_READ.search(field[:figure.end()]):
            continue
        task, table_dataset = TABLES[table]
        if table_dataset is None and dataset is None:
            raise ValueError(f'{config}: Table {table} covers several data sets and the name '
                             f'has no dataset field: end the name with one of {list(DATASETS)}')
        results.append(
            dict(
                Task=task, Dataset=table_dataset or dataset, Metrics=_metrics(config, line,
                                                                              figure)))
    return results


def _metrics(config: str, line: str, figure: re.Match) -> Dict[str, float]:
    """The metrics of a figure: 'AP 43.0' -> {'box AP': 43.0}, 'P/R 0.7/0.6' -> two."""
    values = [float(value) for value in figure.group('values').split('/')]
    names = figure.group('metric').strip()
    names = names.split('/') if len(values) > 1 else [names]
    if len(names) != len(values) or not all(names):
        raise ValueError(f'{config}: {line!r}: write the figure as "<metric> <figure>" or '
                         '"<metric>/<metric> <figure>/<figure>"')
    return {METRICS.get(name, name): value for name, value in zip(names, values)}


def model_entry(repo_root: Path, config: Path, collection: str) -> dict:
    """The metafile entry of one config."""
    rel = config.relative_to(repo_root).as_posix()
    stem = config.stem
    dataset = name_dataset(stem)
    results = paper_results(rel, config_headers.header_lines(config.read_text()), dataset)
    if dataset is None:
        datasets = {result['Dataset'] for result in results}
        if len(datasets) != 1:
            raise ValueError(f'{rel}: the name has no dataset field: name it '
                             '{algorithm}_{model}_{schedule}_{dataset}.py with a dataset field of '
                             f'{list(DATASETS)}, or add the field to DATASETS in {SCRIPT}')
        dataset = datasets.pop()
    metadata = {'Training Data': dataset}
    epochs = _EPOCHS.search(stem)
    if epochs:
        metadata['Epochs'] = int(epochs.group(1))
    batch = _BATCH.search(stem)
    if batch:
        metadata['Batch Size'] = int(batch.group(1)) * int(batch.group(2))
    entry = {'Name': stem, 'In Collection': collection, 'Config': rel, 'Metadata': metadata}
    if results:
        entry['Results'] = results
    entry['Weights'] = WEIGHTS
    return entry


def config_folders(repo_root: Path) -> Dict[Path, List[Path]]:
    """Each folder under ``configs/`` that holds configs -> its configs, ``_base_/`` excepted."""
    folders: Dict[Path, List[Path]] = {}
    for config in sorted((repo_root / 'configs').rglob('*.py')):
        if '_base_' in config.relative_to(repo_root).parts:
            continue
        folders.setdefault(config.parent, []).append(config)
    return dict(sorted(folders.items()))


def render(repo_root: Path) -> Dict[Path, str]:
    """The text of every metafile and of ``model-index.yml``, keyed by their paths."""
    repo_root = Path(repo_root)
    files = {}
    names: Dict[str, str] = {}
    for folder, configs in config_folders(repo_root).items():
        rel_folder = folder.relative_to(repo_root / 'configs')
        collection_name = rel_folder.as_posix() if rel_folder.parts else ROOT_COLLECTION
        models = [model_entry(repo_root, config, collection_name) for config in configs]
        for model in models:
            if model['Name'] in names:
                raise ValueError(f'{model["Config"]} and {names[model["Name"]]} have the same '
                                 'file name; mim finds a config by its name: rename one')
            names[model['Name']] = model['Config']
        collection = {'Name': collection_name}
        headers = [config_headers.header_lines(config.read_text()) for config in configs]
        if any(any(config_headers.paper_lines(lines)) for lines in headers):
            collection['Paper'] = PAPER
        if (folder / 'README.md').exists():
            collection['README'] = (folder / 'README.md').relative_to(repo_root).as_posix()
        files[folder / 'metafile.yml'] = _dump({'Collections': [collection], 'Models': models})
    index = {'Import': [path.relative_to(repo_root).as_posix() for path in files]}
    files[repo_root / 'model-index.yml'] = _dump(index)
    return files


def _dump(data: dict) -> str:
    return GENERATED_NOTE + yaml.safe_dump(data, sort_keys=False, width=100, allow_unicode=True)


def stale_files(repo_root: Path) -> List[Path]:
    """The metafiles (and index) whose committed text differs from what ``render`` writes."""
    return [
        path for path, text in render(repo_root).items()
        if not path.exists() or path.read_text() != text
    ]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument(
        '--root',
        default=osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))),
        help='the repository root (default: this file\'s)')
    parser.add_argument(
        '--check',
        action='store_true',
        help='write nothing; exit 1 when a file differs from what it would be')
    args = parser.parse_args()
    root = Path(args.root)
    if args.check:
        stale = stale_files(root)
        for path in stale:
            print(f'{path.relative_to(root)} is not what {SCRIPT} writes: run it')
        sys.exit(1 if stale else 0)
    for path, text in render(root).items():
        path.write_text(text)
        print(f'wrote {path.relative_to(root)}')


if __name__ == '__main__':
    main()
