"""The sweep's view of the package's one task registry, ``core.tasks.TASKS``.

Every registered task with a ``compute`` can be swept. A cell's arguments are the task's ``Arg``
specs with ``sweep=True`` (printing, progress and output paths are not parameters), with their
parsers made strict (``core.parsing.canonical``); a task that takes models (``Task.models``) also
takes the argument ``model`` (its registry's names; default ``Task.default_model``) and, resolved
per cell, the chosen model's command-line arguments (``expfam_nash.models.MODELS`` for solve and
verify), so one grid can vary the model and its own parameters. ``Task.complete`` then fills the
defaults that depend on other options (train: the learner's).

A cell runs on a worker as :class:`TaskCell`: ``compute(options)`` (or, for tasks that write run
directories, ``compute_in(options, <table>.runs/<key>)``), then the task's ``row(result)`` or the
generic flattening of ``result.to_dict()`` (``core.rows``; columns that repeat a parameter are left
to the parameter's column). The functions travel to the workers by reference (their module must be
importable there) or, for functions defined in a script's ``__main__``, by value.

Tasks defined in other modules register themselves in ``TASKS`` when imported: the package's are
listed in ``expfam_nash.tasks.TASK_MODULES``; a sweep file names others in ``imports``.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from ..core.parsing import canonical, stored, text
from ..core.registry import Arg, Entry, Registry
from ..core.rows import row_of
from ..core.tasks import TASKS, Task
from .keys import cell_key


def _load() -> Registry:
    from ..tasks import load

    return load()


def sweepable() -> tuple[str, ...]:
    """The names of the tasks a sweep can run (those with ``compute``)."""
    return tuple(e.name for e in _load().entries() if e.obj.compute is not None)


def _strict(arg: Arg) -> Arg:
    return dataclasses.replace(arg, parse=canonical(arg.parse))


def model_registry(task: Task) -> Registry | None:
    if task.models is True:
        from ..models import MODELS

        return MODELS
    return task.models or None


def nested_registries(entry: Entry) -> dict:
    """{argument name: registry} of the arguments whose value names an entry with its own arguments."""
    return dict(entry.meta.get("nested", {}))


def get(name: str) -> Entry:
    """The sweep's view of task ``name``: an ``Entry`` whose ``obj`` is the :class:`Task` and whose
    ``args`` are the cell's arguments (module docstring); ``meta["nested"]`` maps ``model`` to the
    task's model registry."""
    entry = _load().get(name)
    if entry.obj.compute is None:
        raise ValueError(f"task: {name!r} cannot be swept (it computes no result); expected one of "
                         f"{', '.join(sweepable())}")
    args = [_strict(a) for a in entry.args if a.sweep and a.cli]
    nested = {}
    registry = model_registry(entry.obj)
    if registry is not None:
        args.insert(0, Arg("model", text, entry.obj.default_model, f"the {registry.kind} ({', '.join(registry)})"))
        nested["model"] = _ModelView(registry)
    return Entry(name, entry.obj, tuple(args), entry.help, entry.extras, {"nested": nested})


class _ModelView:
    """A model registry as a sweep sees it: each model's command-line arguments, parsers made strict."""

    def __init__(self, registry: Registry):
        self.registry, self.kind = registry, registry.kind

    def __contains__(self, name) -> bool:
        return name in self.registry

    def __iter__(self):
        return iter(self.registry)

    def entries(self) -> tuple[Entry, ...]:
        return tuple(self.get(n) for n in self.registry)

    def get(self, name: str) -> Entry:
        e = self.registry.get(name)
        return dataclasses.replace(e, args=tuple(_strict(a) for a in e.args if a.cli and a.sweep))


def stored_params(values: dict) -> dict:
    """The scalars a cell is keyed by and its table row holds (``core.parsing.stored``)."""
    return {k: stored(v) for k, v in values.items()}


@dataclass(frozen=True)
class TaskCell:
    """One task's computation of a cell, as shipped to the workers: ``values`` -> one flat row.
    ``runs``: the directory of the cells' run directories (tasks with ``compute_in``)."""

    name: str
    compute: Callable[[dict], Any]
    row: Callable[[Any], dict] | None = None
    compute_in: Callable[[dict, Any], Any] | None = None
    runs: str | None = None

    @classmethod
    def of(cls, entry: Entry, runs: str | None = None) -> "TaskCell":
        t = entry.obj
        return cls(entry.name, t.compute, t.row, t.compute_in, None if t.compute_in is None else runs)

    def __call__(self, values: dict) -> dict:
        if self.compute_in is not None:
            if self.runs is None:
                raise ValueError(f"task {self.name!r} writes run directories: the sweep needs an output table")
            result = self.compute_in(dict(values), Path(self.runs) / cell_key(self.name, stored_params(values)))
        else:
            result = self.compute(dict(values))
        row = row_of(result, self.row)
        return row if self.row is not None else {k: v for k, v in row.items() if k not in values}


__all__ = ["TASKS", "Task", "get", "sweepable", "nested_registries", "TaskCell", "stored_params"]
