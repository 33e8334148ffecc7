"""The package's foundation: registries (the single source of names for the CLI, sweeps, docs and
conformance tests), the result contract and three-valued verdicts. Imports nothing else of the
package."""
from .registry import Arg, Entry, Registry
from .verdict import Status, Verdict

__all__ = ["Arg", "Entry", "Registry", "Status", "Verdict"]
