"""The package's foundation: registries (the single source of names for the CLI, sweeps, docs and
conformance tests), the result contract and three-valued verdicts, validation, JSON cleaning,
canonical row keys, number formatting and constants. Imports nothing else of the package."""
from .registry import Arg, Entry, Registry, renamed, with_aliases
from .tasks import TASKS, Task
from .verdict import Result, Status, Verdict

__all__ = ["Arg", "Entry", "Registry", "renamed", "with_aliases", "Status", "Verdict", "Result", "TASKS", "Task"]
