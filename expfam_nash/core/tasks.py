"""The jobs of the command line (and of the sweep layer): ``TASKS``, one entry per sub-command.

A task is registered with its options (``Arg`` specs, from which the CLI builds its flags) and a
:class:`Task`: ``run(options) -> exit status`` prints what the job found (``options`` is a dict of
option values by canonical name, plus ``model`` and the model's options for tasks that take a
model); ``compute(options) -> Result`` (optional) returns the result object instead, for sweeps.
``models=True``: the task takes a MODEL sub-command from ``expfam_nash.models.MODELS``; a task with
models of its own (e.g. ``collapse vae|cvae|hvae``) passes its own ``Registry`` instead, whose entries'
``Arg`` specs become the sub-commands' flags.

    TASKS.register("collapse", Task(run=..., compute=...), args=(Arg("beta", float, 1.0, "..."),),
                   help="...")

The registry lives in ``core`` so that a module at any layer can register its task; the CLI
imports the modules listed in ``expfam_nash.tasks.TASK_MODULES`` (plugins named by string, so a
front-end layer such as ``sweep`` can register a task without the CLI importing it).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from .registry import Registry


@dataclass(frozen=True)
class Task:
    run: Callable[[dict], int]
    compute: Callable[[dict], Any] | None = None
    models: bool | Registry = False


TASKS: Registry = Registry("task")
