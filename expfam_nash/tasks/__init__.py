"""The jobs of the command line and of the sweep layer, registered in ``core.tasks.TASKS``:
``solve``, ``verify`` (:mod:`.game`), ``prove``, ``claims``, ``figures``, ``docs`` (:mod:`.reports`),
``train`` (:mod:`.train`, dispatching on :mod:`.learners`), ``introvae-table`` (:mod:`.introvae`), and
the tasks other layers register (``collapse``, ``sweep``, the sweep-only ``probe``). Front-ends
(``cli``, ``sweep``) call :func:`load` and read ``TASKS``."""
from __future__ import annotations

import importlib

from ..core.tasks import TASKS, Task

#: modules whose import registers tasks (a new task module is one more line here)
TASK_MODULES = ("expfam_nash.tasks.game", "expfam_nash.tasks.reports", "expfam_nash.tasks.train",
                "expfam_nash.tasks.introvae", "expfam_nash.collapse.cli", "expfam_nash.sweep.cli",
                "expfam_nash.sweep.probe")


def load():
    """Import every task module; returns ``TASKS``."""
    for module in TASK_MODULES:
        importlib.import_module(module)
    return TASKS


__all__ = ["TASKS", "Task", "TASK_MODULES", "load"]
