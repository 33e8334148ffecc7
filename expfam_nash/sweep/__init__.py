"""Sweeps: grids of verify / solve / ... runs on Dask, resumable, with tidy tables (docs/sweeps.md)."""
from .models import MODELS
from .spec import Cell, Sweep, cell_key
from .tasks import TASKS

__all__ = ["Sweep", "Cell", "cell_key", "TASKS", "MODELS"]
