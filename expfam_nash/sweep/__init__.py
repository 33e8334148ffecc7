"""Sweeps: grids of runs of any task of ``core.tasks.TASKS`` that computes a result (verify, solve,
collapse, train, ...) on Dask, resumable, with tidy tables (docs/sweeps.md).

    from expfam_nash import sweep
    spec = sweep.Sweep("verify", fixed={"model": "tabular", "starts": 4},
                       grid={"alpha": [0.0, 0.4], "rho": [0.0, 0.1]}, seeds=2)
    result = sweep.run(spec, "uniqueness.parquet", workers=2)   # resumes if the table exists
    table = sweep.load_table("uniqueness.parquet")               # pandas DataFrame, grid order

Spec parsing and keys need only the standard library; running and reading tables need the
optional extra ``sweep`` (dask[distributed], pandas, pyarrow, tqdm).
"""
from .execute import SweepRun, run
from .show import TableSummary, summarise
from .spec import Cell, Sweep, cell_key
from .store import load_table
from .tasks import TASKS, sweepable

__all__ = ["Sweep", "Cell", "cell_key", "run", "SweepRun", "load_table", "summarise", "TableSummary", "TASKS",
           "sweepable"]
