"""The jobs of the command line and of the sweep layer: ``TASKS``, one entry per sub-command (or
sweep-only job).

A task is registered with its options (``Arg`` specs, from which the CLI builds its flags and a
sweep resolves its cells) and a :class:`Task`: ``run(options) -> exit status`` prints what the job
found (``options`` is a dict of option values by canonical name, plus ``model`` and the model's
options for tasks that take a model); ``compute(options) -> Result`` returns the result object
instead. Every task with ``compute`` can be swept (``expfam-nash sweep``): a cell's options are the
task's ``Arg`` specs with ``sweep=True`` (plus the model and its arguments), and its table row is
``row(result)`` or, without that hook, the generic flattening ``core.rows.flatten(result.to_dict())``.

``models=True``: the task takes a MODEL sub-command from ``expfam_nash.models.MODELS``; a task with
models of its own (e.g. ``collapse vae|cvae|hvae``) passes its own ``Registry`` instead, whose
entries' ``Arg`` specs become the sub-commands' flags; ``default_model`` is the model used when none
is named (None: one must be named). ``complete(options) -> options`` fills the defaults that depend on
other options (``train``: the learner's, chosen by the dataset) and drops the options that do not
apply, so that a sweep keys a cell by what it computes. ``compute_in(options, directory)``: for tasks
that write a run directory, a sweep cell's computation in its own directory, continuing a partial run
found there (a cell whose worker died resumes from its last checkpoint). ``run=None``: a sweep-only
task (no sub-command).

    TASKS.register("collapse", Task(run=..., compute=..., row=...), args=(Arg("beta", positive, 1.0, "..."),),
                   help="...")

The registry lives in ``core`` so that a module at any layer can register its task; the CLI and the
sweep import the modules listed in ``expfam_nash.tasks.TASK_MODULES`` (plugins named by string, so a
front-end layer such as ``sweep`` can register a task without the CLI importing it).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from .registry import Registry


@dataclass(frozen=True)
class Task:
    run: Callable[[dict], int] | None = None
    compute: Callable[[dict], Any] | None = None
    models: bool | Registry = False
    row: Callable[[Any], dict] | None = None
    default_model: str | None = None
    complete: Callable[[dict], dict] | None = None
    compute_in: Callable[[dict, Any], Any] | None = None


TASKS: Registry = Registry("task")
