"""``expfam-nash sweep FILE [--scheduler ADDRESS] [--workers N] [--out PATH.parquet]`` runs (or
resumes) the sweep declared in the TOML file FILE; ``expfam-nash sweep --show PATH`` summarises a
table. The options are ``Arg`` specs registered with the ``sweep`` task in ``core.TASKS`` (the CLI
builds its flags from them); ``run(options)`` executes them and returns the exit status (bad input
raises ValueError / ImportError for the CLI's one-line error; an interrupted sweep returns 130)."""
from __future__ import annotations

import json
import sys
from pathlib import Path

from ..core.registry import Arg
from ..core.tasks import TASKS, Task


def _positive_int(text) -> int:
    try:
        v = int(text)
    except (TypeError, ValueError):
        v = 0
    if v < 1:
        raise ValueError(f"expected an integer >= 1, got {text!r}")
    return v


ARGS = (
    Arg("file", str, None, "sweep file (TOML: task, [fixed], [grid], ...)", positional=True, nargs="?"),
    Arg("out", str, None, "table (.parquet or .csv; default: FILE with .parquet); rerunning with the same --out "
                          "resumes"),
    Arg("scheduler", str, None, "address of an existing Dask scheduler (default: a local cluster)"),
    Arg("workers", _positive_int, None, "worker processes of the local cluster (default: the cores available)"),
    Arg("batch_size", _positive_int, None, "cells per Dask task (default: adaptive, about 0.25 s of work)"),
    Arg("retry_errors", bool, False, "recompute cells whose row holds an error"),
    Arg("no_progress", bool, False, "no progress bar"),
    Arg("show", str, None, "summarise the table at PATH and exit"),
    Arg("json", bool, False, "print one JSON object instead of a summary"),
)


def run(options: dict) -> int:
    from .execute import run as run_sweep
    from .show import summarise
    from .spec import Sweep

    if options.get("show") is not None:
        if options.get("file") is not None:
            raise ValueError("file: give either a sweep FILE or --show PATH, not both")
        from . import _extras
        _extras.require("sweep --show")
        res = summarise(options["show"])
    else:
        if options.get("file") is None:
            raise ValueError("file: expected a sweep file (TOML) or --show PATH")
        spec = Sweep.load(options["file"])
        out = options.get("out") or str(Path(options["file"]).with_suffix(".parquet"))
        res = run_sweep(spec, out, scheduler=options.get("scheduler"), workers=options.get("workers"),
                        batch_size=options.get("batch_size"), progress=not options.get("no_progress"),
                        retry_errors=bool(options.get("retry_errors")))
    print(json.dumps(res.to_dict()) if options.get("json") else res.summary())
    if getattr(res, "interrupted", False):
        kept = f"finished cells are in {res.out}" if res.skipped + res.computed else "no cell had finished"
        print(f"expfam-nash: sweep interrupted; {kept}; rerun the same command to resume", file=sys.stderr)
        return 130
    return 0


TASKS.register("sweep", Task(run=run), args=ARGS,
               help="run a grid of verify/solve/... cells on Dask (a resumable table); --show PATH summarises one")
