"""List the hosts of ``vkd_mm.registry.HOST_MODULES`` without importing vkd_mm (or torch).

``tools/setup_env.sh`` runs it before anything is installed, to know which requirements files to
install and which host packages to import afterwards. It reads the literal from the source.

Usage:
    python tools/list_hosts.py requirements   # requirements/<host>.txt, one a line
    python tools/list_hosts.py packages       # vkd_mm.hosts.<host>, one a line
    python tools/list_hosts.py scopes         # <host>, one a line
"""
import argparse
import ast
import os.path as osp
from typing import List, Tuple

REGISTRY = osp.join(osp.dirname(osp.dirname(osp.abspath(__file__))), 'vkd_mm', 'registry.py')

HostRow = Tuple[str, str, Tuple[str, ...]]


def read_host_modules(path: str = REGISTRY) -> List[HostRow]:
    """The rows of ``HOST_MODULES`` in ``path``, read with :func:`ast.literal_eval`."""
    with open(path, encoding='utf-8') as file:
        tree = ast.parse(file.read(), filename=path)
    for node in tree.body:
        targets = node.targets if isinstance(node, ast.Assign) else \
            [node.target] if isinstance(node, ast.AnnAssign) else []
        if any(isinstance(target, ast.Name) and target.id == 'HOST_MODULES' for target in targets):
            try:
                return [tuple(row) for row in ast.literal_eval(node.value)]
            except ValueError as error:
                raise ValueError(f'{path}: HOST_MODULES must be a literal tuple of '
                                 f'(scope, package, libraries) rows ({error})') from None
    raise ValueError(f'{path} assigns no HOST_MODULES')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('field', choices=('requirements', 'packages', 'scopes'))
    parser.add_argument('--registry', default=REGISTRY, help='the registry.py to read')
    args = parser.parse_args()
    root = osp.dirname(osp.dirname(osp.abspath(args.registry)))
    for scope, package, _ in read_host_modules(args.registry):
        if args.field == 'requirements':
            requirements = osp.join(root, 'requirements', f'{scope}.txt')
            if not osp.isfile(requirements):
                raise SystemExit(f'host {scope!r} of HOST_MODULES has no requirements file '
                                 f'{requirements}; add one with its pinned libraries')
            print(requirements)
        else:
            print(package if args.field == 'packages' else scope)


if __name__ == '__main__':
    main()
