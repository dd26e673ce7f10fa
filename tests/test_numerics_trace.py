"""tools/analysis/numerics_trace.py: a trace and its digest agree, and compare names the first
tensor that differs."""
import json
import math

from .conftest import TOY_STUDENT_CONFIG
from .test_analysis_tools import run_tool


def run_trace(*args: str) -> str:
    return run_tool('numerics_trace.py', *args)


def test_digest_compares_with_the_full_trace(toy_data_root, tmp_path):
    options = [
        '--iters', '2', '--cfg-options', 'train_dataloader.batch_size=4',
        f'train_dataloader.dataset.data_root={toy_data_root}',
        f'val_dataloader.dataset.data_root={toy_data_root}'
    ]
    full, digest = str(tmp_path / 'run.pt'), str(tmp_path / 'run.json')
    run_trace('record', TOY_STUDENT_CONFIG, full, *options)
    run_trace('record', TOY_STUDENT_CONFIG, digest, *options)

    with open(digest) as file:
        trace = json.load(file)
    kinds = {kind for kind, *_ in trace['entries']}
    assert kinds == {'batch', 'forward', 'loss', 'param'}
    assert trace['settings']['cpu'] and trace['settings']['torch_cpu_capability']
    kind, name, shape, dtype, sha, total, largest = next(e for e in trace['entries']
                                                         if e[0] == 'param')
    assert name.startswith('it0.') and dtype == 'float32' and len(sha) == 16
    assert largest >= abs(total) / math.prod(shape) > 0

    out = run_trace('compare', full, digest)
    assert f'bitwise equal: all {len(trace["entries"])} tensors' in out

    # the same seeded run, with one parameter of the second iteration changed after the fact
    changed = next(i for i, e in enumerate(trace['entries'])
                   if e[0] == 'param' and e[1].startswith('it1.'))
    _, name, _, _, _, total, _ = trace['entries'][changed]
    trace['entries'][changed][4] = '0' * 16
    trace['entries'][changed][5] = total + 1.0
    edited = tmp_path / 'edited.json'
    edited.write_text(json.dumps(trace))
    out = run_trace('compare', full, str(edited))
    first = [line for line in out.splitlines() if line.startswith('first difference')]
    assert len(first) == 1 and first[0].startswith(
        f'first difference: param {name}: bytes differ; sum {total:.9e} vs {total + 1.0:.9e}')
    assert 'param    1 of' in out
