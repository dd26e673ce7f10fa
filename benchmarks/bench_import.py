"""Start-up cost: ``python -c "import vkd_mm"`` against ``python -c "import mmengine.model"``.

Each round starts one fresh interpreter for each command, in alternating order (so load on the
machine hits both alike), and the medians of the wall times are compared. ``import
mmengine.model`` is the floor: vkd_mm's distiller is an MMEngine ``BaseModel``, and that import
already brings torch. The target of issue 15 is a ratio of at most 1.2.

The run also reports which host libraries each command leaves in ``sys.modules``: vkd_mm must
add none (mmengine 0.10.7's optimizer builder itself imports transformers, when installed, to
register its Adafactor).

Usage: python benchmarks/bench_import.py [--rounds 9] [--python PATH]
"""
import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from typing import Dict, List

COMMANDS = {'vkd_mm': 'import vkd_mm', 'mmengine.model': 'import mmengine.model'}
HOSTS = ('mmdet', 'mmpretrain', 'mmagic', 'diffusers', 'transformers')
REPORT = ('import sys, json; print(json.dumps(sorted({m.split(".")[0] for m in sys.modules} & '
          'set(%r))))' % (HOSTS, ))


def run(python: str, code: str, cwd: str) -> float:
    """Wall seconds of one fresh ``python -c code``."""
    start = time.perf_counter()
    subprocess.run([python, '-c', code],
                   cwd=cwd,
                   check=True,
                   stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def hosts_imported(python: str, code: str, cwd: str) -> List[str]:
    """The host libraries in ``sys.modules`` after ``code``."""
    out = subprocess.run([python, '-c', f'{code}\n{REPORT}'],
                         cwd=cwd,
                         check=True,
                         capture_output=True,
                         text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--rounds', type=int, default=9)
    parser.add_argument('--python', default=sys.executable)
    args = parser.parse_args()

    times: Dict[str, List[float]] = {name: [] for name in COMMANDS}
    # NOTE run outside the checkout, so both commands resolve packages the same way
    with tempfile.TemporaryDirectory() as cwd:
        for name, code in COMMANDS.items():  # warm the file cache; not timed
            run(args.python, code, cwd)
        for index in range(args.rounds):
            order = list(COMMANDS) if index % 2 == 0 else list(reversed(COMMANDS))
            for name in order:
                times[name].append(run(args.python, COMMANDS[name], cwd))
        imported = {name: hosts_imported(args.python, code, cwd) for name, code in COMMANDS.items()}

    medians = {name: statistics.median(values) for name, values in times.items()}
    print(f'{args.rounds} interleaved rounds, fresh interpreter each ({args.python})')
    for name, values in times.items():
        print(f'python -c "{COMMANDS[name]}": median {medians[name]:.2f} s '
              f'(min {min(values):.2f}, max {max(values):.2f}); host libraries imported: '
              f'{", ".join(imported[name]) or "none"}')
    ratio = medians['vkd_mm'] / medians['mmengine.model']
    print(f'ratio vkd_mm / mmengine.model: {ratio:.2f}x (target <= 1.2x)')
    extra = sorted(set(imported['vkd_mm']) - set(imported['mmengine.model']))
    print(f'host libraries imported by vkd_mm beyond mmengine.model: {", ".join(extra) or "none"}')


if __name__ == '__main__':
    main()
