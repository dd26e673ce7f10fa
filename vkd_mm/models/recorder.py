"""Records intermediate outputs of a model with forward hooks on dotted module paths."""
import difflib
from contextlib import contextmanager
from typing import Dict, Iterator, List, Optional, Tuple

import torch
from torch import nn

__all__ = ['FeatureRecorder', 'resolve_module']


def resolve_module(model: nn.Module, path: str, role: str = 'model') -> nn.Module:
    """The submodule at a dotted path, or a ValueError naming the closest existing paths.

    Args:
        model (nn.Module): the model to search.
        path (str): a name from ``model.named_modules()``, e.g. ``'backbone.layer4'``.
        role (str): how the error message names the model. Default: 'model'.
    """
    modules = dict(model.named_modules())
    if path in modules:
        return modules[path]
    names = [name for name in modules if name]
    close = difflib.get_close_matches(path, names, n=5, cutoff=0.5)
    parent = path.rsplit('.', 1)[0] if '.' in path else ''
    children = [name for name in names if name.rsplit('.', 1)[0] == parent and '.' in name] \
        if parent in modules else [name for name in names if '.' not in name]
    hint = close or children[:10]
    raise ValueError(f'{role} has no module {path!r}; the closest module names are: '
                     f'{", ".join(hint) if hint else "(none)"}')


class FeatureRecorder:
    """Captures the outputs of named submodules during a forward pass.

    Hooks exist only inside :meth:`record`, so the model carries none between steps (nothing to
    leak into a deepcopy, a checkpoint or a predict call). Paths are checked when the recorder is
    made.

    Args:
        model (nn.Module): the model to record from.
        sources (dict): name -> (dotted module path, output index or None). The index selects from
            tuple or list outputs; None keeps the output as it is.
        role (str): 'student' or 'teacher', for error messages.

    Example:
        >>> recorder = FeatureRecorder(model, {'c5': ('backbone.layer4', None)}, 'student')
        >>> with recorder.record() as feats:
        ...     model(x)
        >>> feats['c5'].shape
    """

    def __init__(self,
                 model: nn.Module,
                 sources: Dict[str, Tuple[str, Optional[int]]],
                 role: str = 'model') -> None:
        self.model = model
        self.role = role
        self.sources = dict(sources)
        self._modules = {
            name: resolve_module(model, path, role)
            for name, (path, _) in self.sources.items()
        }

    @contextmanager
    def record(self) -> Iterator[Dict[str, torch.Tensor]]:
        """Registers the hooks, yields the dict they fill, and removes them on exit."""
        outputs: Dict[str, torch.Tensor] = {}
        handles: List[torch.utils.hooks.RemovableHandle] = []
        for name, module in self._modules.items():
            handles.append(module.register_forward_hook(self._make_hook(name, outputs)))
        try:
            yield outputs
        finally:
            for handle in handles:
                handle.remove()

    def _make_hook(self, name: str, outputs: Dict[str, torch.Tensor]):
        path, index = self.sources[name]

        def hook(module: nn.Module, args, output) -> None:
            if index is not None:
                if not isinstance(output, (tuple, list)):
                    raise ValueError(f'{self.role} module {path!r} returns a '
                                     f'{type(output).__name__}, so index={index} cannot select '
                                     f'from it; drop the index')
                if not -len(output) <= index < len(output):
                    raise ValueError(f'{self.role} module {path!r} returns {len(output)} outputs; '
                                     f'index {index} is out of range')
                output = output[index]
            if not isinstance(output, torch.Tensor):
                raise ValueError(f'{self.role} module {path!r} returns a '
                                 f'{type(output).__name__}; set an index to pick one tensor')
            outputs[name] = output

        return hook
