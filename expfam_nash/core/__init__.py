"""The package's foundation: registries (the single source of names for the CLI, sweeps, docs and
conformance tests), the result contract and three-valued verdicts, validation, file reading, thread
counts, JSON cleaning, canonical row keys, number formatting and constants. Imports nothing else of
the package."""
from . import threads  # noqa: F401  (first: its environment defaults precede NumPy's import)
from .registry import Arg, Entry, Registry, renamed, with_aliases
from .tasks import TASKS, Task
from .validation import DomainError, NonFiniteError
from .verdict import Result, Status, Verdict

__all__ = ["Arg", "Entry", "Registry", "renamed", "with_aliases", "Status", "Verdict", "Result", "TASKS", "Task",
           "DomainError", "NonFiniteError"]
