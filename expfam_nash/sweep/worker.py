"""What runs on a worker: a batch of cells, each in its own try, one row per cell.

A cell that raises becomes a row with ``error = "Type: message"`` (first line, at most 500
characters) and no results; the batch goes on. Rows carry only ``key``, the task's values,
``error`` and ``elapsed_s``; the driver adds the parameters.
"""
from __future__ import annotations

import math
import time
from typing import Callable

from ..core import threads

RESERVED = ("key", "task", "error", "elapsed_s", "version")


def pin_threads() -> None:
    """One thread for BLAS/OpenMP pools (threadpoolctl, once per process) and for Numba's parallel
    kernels (per thread: Numba's setting is thread-local, and Dask runs tasks in its own threads).
    Local clusters also set the thread variables before the worker starts (``cluster.THREAD_ENV``)."""
    threads.pin_process()          # the package's one place for thread counts


def _scalar(name: str, value):
    if value is None or isinstance(value, (bool, str)):
        return value
    if hasattr(value, "item") and getattr(value, "shape", ()) == ():   # numpy scalar
        value = value.item()
    if isinstance(value, (bool, int, float)):
        return value
    raise TypeError(f"result {name!r} is a {type(value).__name__}, not a scalar (None, bool, int, float, str)")


def normalise(result, params: dict) -> dict:
    """A task's return value checked and converted to plain scalars."""
    if not isinstance(result, dict):
        raise TypeError(f"the task returned {type(result).__name__}, not a dict")
    out = {}
    for name, value in result.items():
        if not isinstance(name, str) or name in RESERVED or name in params:
            raise TypeError(f"result name {name!r} is reserved or repeats a parameter")
        out[name] = _scalar(name, value)
    return out


def error_text(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {lines[0] if lines else ''}"[:500]


def run_cells(fn: Callable[[dict], dict], cells: list[tuple[str, dict]]) -> list[dict]:
    """Run ``fn`` on each (key, params); one row per cell, in order."""
    pin_threads()
    rows = []
    for key, params in cells:
        start = time.perf_counter()
        try:
            row, error = normalise(fn(dict(params)), params), None
        except Exception as exc:          # noqa: BLE001 -- a failing cell is recorded, the sweep goes on
            row, error = {}, error_text(exc)
        elapsed = time.perf_counter() - start
        rows.append({"key": key, **row, "error": error, "elapsed_s": elapsed if math.isfinite(elapsed) else None})
    return rows
