"""Running a sweep on Dask: cells not yet in the table are batched into tasks, submitted with a
bounded number in flight, streamed back as they finish (``as_completed``), journaled at once,
and compacted into the table in grid order at the end, on Ctrl-C and every ``compact_every``
seconds.

Batches: the first tasks hold one cell each; after that a batch holds about ``target_s`` seconds
of work at the mean cell time measured so far, never more than a fair share of what remains
(remaining / (2 x workers), so the tail stays balanced). Faults: Dask reschedules the tasks of a
worker that dies; a batch that still fails (a cell that keeps killing its worker: Dask's
``KilledWorker`` after ``distributed.scheduler.allowed-failures`` retries) is split into single
cells that run one at a time (quarantine), and a cell that fails alone gets an error row. The
table never depends on the schedule: rows are ordered by grid order, each computed from its own
parameters.
"""
from __future__ import annotations

import math
import sys
import time
from collections import deque
from dataclasses import asdict, dataclass
from typing import Callable

from . import _extras
from .cluster import check_versions, check_workers, connect, interrupt_latch
from .keys import version as _version
from .spec import Cell, Sweep
from .store import Store, order_columns, runs_path
from .tasks import TaskCell
from .worker import error_text, run_cells


@dataclass(frozen=True)
class SweepRun:
    """What one call of :func:`run` did."""

    out: str
    task: str
    cells: int
    skipped: int           # already in the table before this run
    computed: int          # finished by this run
    errors: int            # cells of this sweep whose row holds an error
    interrupted: bool
    seconds: float
    workers: int
    tasks: int             # Dask tasks submitted

    @property
    def complete(self) -> bool:
        return self.skipped + self.computed == self.cells

    def summary(self) -> str:
        rate = f" ({self.computed / self.seconds:.3g} cells/s)" if self.computed and self.seconds > 0 else ""
        head = "INTERRUPTED" if self.interrupted else ("done" if self.complete else "INCOMPLETE")
        work = (f"{self.computed} computed in {self.seconds:.1f} s on {self.workers} workers{rate}, {self.tasks} tasks"
                if self.tasks else "nothing to compute")
        return (f"sweep {self.task}: {head}: {self.skipped + self.computed} of {self.cells} cells in the table "
                f"({self.skipped} already there, {work}); {self.errors} with an error; table {self.out}")

    def to_dict(self) -> dict:
        return {**asdict(self), "complete": self.complete}


class BatchSizer:
    """Cells per task: ``fixed`` if given, else about ``target_s`` of work (see module docstring)."""

    def __init__(self, fixed: int | None, workers: int, target_s: float = 0.25, cap: int = 512):
        if fixed is not None and (isinstance(fixed, bool) or not isinstance(fixed, int) or fixed < 1):
            raise ValueError(f"batch_size: expected an integer >= 1, got {fixed!r}")
        self.fixed, self.workers, self.target_s, self.cap = fixed, max(1, workers), target_s, cap
        self.seconds, self.count = 0.0, 0

    def record(self, rows: list[dict]) -> None:
        for r in rows:
            if r.get("elapsed_s") is not None:
                self.seconds += r["elapsed_s"]
                self.count += 1

    def next(self, remaining: int) -> int:
        if self.fixed is not None:
            return self.fixed
        if self.count == 0:
            return 1
        mean = max(self.seconds / self.count, 1e-6)
        fair = max(1, math.ceil(remaining / (2 * self.workers)))
        return max(1, min(int(self.target_s / mean), fair, self.cap))


def _param_columns(sweep: Sweep, cells: list[Cell]) -> list[str]:
    cols = list(sweep.varied())
    for c in cells:
        cols += [k for k in c.params if k not in cols]
    return cols


class _Collector:
    """Receives finished rows: completes them with the cell's parameters, journals them, updates
    the progress bar and the batch sizer, compacts the table now and then."""

    def __init__(self, sweep, cells, store, done, todo, progress, on_batch, compact_every):
        from tqdm.auto import tqdm

        self.sweep, self.cells, self.store, self.done = sweep, cells, store, done
        self.version, self.params = _version(), _param_columns(sweep, cells)
        self.computed, self.tasks, self.on_batch, self.compact_every = 0, 0, on_batch, compact_every
        self.last_compact, self.gap = time.monotonic(), compact_every
        self.bar = tqdm(total=len(cells), initial=len(cells) - len(todo), unit="cell", disable=not progress,
                        file=sys.stderr, dynamic_ncols=True, smoothing=0.05)

    def add(self, cells: list[Cell], rows: list[dict]) -> None:
        full = []
        for cell, row in zip(cells, rows):
            full.append({"key": cell.key, "task": cell.task, **cell.params,
                         **{k: x for k, x in row.items() if k != "key"}, "version": self.version})
        self.store.append(full)
        for r in full:
            self.done[r["key"]] = r
        self.computed += len(full)
        self.bar.update(len(full))
        if self.on_batch is not None:
            self.on_batch(self.computed, full)
        if time.monotonic() - self.last_compact > self.gap:
            self.compact()

    def compact(self) -> None:
        """Write the table: this sweep's rows in grid order, then rows of other cells. The next
        periodic compaction waits ``compact_every`` seconds, or ten times as long as this one took
        (so rewriting a large table never takes more than a tenth of the driver's time)."""
        start = time.monotonic()
        keys = [c.key for c in self.cells]
        in_spec = set(keys)
        rows = [self.done[k] for k in keys if k in self.done] + [r for k, r in self.done.items() if k not in in_spec]
        columns = list(dict.fromkeys(c for r in rows for c in r))
        meta = {"spec": self.sweep.to_dict(), "version": self.version, "cells": len(self.cells),
                "params": self.params}
        self.store.write(rows, order_columns(columns, self.params), meta)
        self.last_compact = time.monotonic()
        self.gap = max(self.compact_every, 10.0 * (self.last_compact - start))

    def errors(self) -> int:
        return sum(1 for c in self.cells if c.key in self.done and self.done[c.key].get("error"))


def _execute(client, fn: Callable, todo: list[Cell], collect: _Collector, sizer: BatchSizer, window: int,
             latch: dict | None = None) -> None:
    """Submit ``todo`` in batches with at most ``window`` tasks in flight; stream results back.
    A task that fails (``KilledWorker``: its worker died too often) sends its cells to quarantine,
    where they run one at a time with nothing else in flight: Dask blames every task on a dying
    worker, so only a cell that fails alone is known to be the culprit and gets an error row.
    Counts the tasks submitted in ``collect.tasks``."""
    from distributed import as_completed

    queue, quarantine, inflight = deque(todo), deque(), {}
    stream = as_completed(with_results=True, raise_errors=False)

    def submit(batch: list[Cell], alone: bool = False) -> None:
        fut = client.submit(run_cells, fn, [(c.key, c.values) for c in batch], pure=False,
                            key=f"sweep-{batch[0].key}-{collect.tasks}")
        collect.tasks += 1
        inflight[fut] = (batch, alone)
        stream.add(fut)

    def fill() -> None:
        if quarantine:
            if not inflight:
                submit([quarantine.popleft()], alone=True)
            return
        while queue and len(inflight) < window:
            n = min(sizer.next(len(queue)), len(queue))
            submit([queue.popleft() for _ in range(n)])

    try:
        fill()
        for fut, result in stream:
            if latch is not None and latch["hit"]:
                raise KeyboardInterrupt
            batch, alone = inflight.pop(fut)
            if fut.status == "finished":
                sizer.record(result)
                collect.add(batch, result)
            elif fut.status == "cancelled" or client.status != "running":
                raise ValueError(f"scheduler: lost the cluster ({fut.status}); finished cells are kept, "
                                 "rerun to resume")
            elif alone:
                exc = result[1] if isinstance(result, tuple) and len(result) > 1 else result
                collect.add(batch, [{"key": batch[0].key, "error": error_text(exc), "elapsed_s": None}])
            else:
                quarantine.extend(batch)
            fut.release()
            fill()
    finally:
        if inflight:
            client.cancel(list(inflight))


def run(sweep: Sweep, out, *, scheduler: str | None = None, workers: int | None = None, client=None,
        batch_size: int | None = None, progress: bool = True, retry_errors: bool = False,
        on_batch: Callable | None = None, compact_every: float = 60.0) -> SweepRun:
    """Run the cells of ``sweep`` not yet in the table ``out`` (.parquet or .csv) and write the
    table. ``client``: an existing ``distributed.Client`` (else a LocalCluster of ``workers``
    processes, or the cluster at ``scheduler``). Tasks that write run directories (``train``) write
    each cell's into ``OUT.runs/KEY`` (on a shared file system for a remote cluster). ``retry_errors``: recompute cells whose row holds
    an error. ``on_batch(computed, rows)`` is called after each batch is journaled. Ctrl-C stops
    cleanly: finished cells stay in the table (``interrupted`` in the result)."""
    _extras.require()
    check_workers(workers)
    if workers is not None and (scheduler is not None or client is not None):
        raise ValueError("workers: applies to the local cluster only; an existing cluster brings its own workers")
    if scheduler is not None and client is not None:
        raise ValueError("scheduler: give a scheduler address or a client, not both")
    BatchSizer(batch_size, 1)                   # validates batch_size before any work
    cells = sweep.cells()
    start, interrupted, n_workers = time.perf_counter(), False, 0
    with Store(out) as store:
        done = store.load()
        todo = [c for c in cells if c.key not in done or (retry_errors and done[c.key].get("error"))]
        collect = _Collector(sweep, cells, store, done, todo, progress, on_batch, compact_every)
        try:
            with interrupt_latch() as latch:
                if todo:
                    own, cluster = client is None, None
                    if own:
                        client, cluster = connect(scheduler, workers)
                    try:
                        n_workers = check_versions(client, _version())
                        fn = TaskCell.of(sweep.entry, str(runs_path(store.path).resolve()))
                        _execute(client, fn, todo, collect, BatchSizer(batch_size, n_workers), 2 * n_workers, latch)
                    finally:
                        if own:
                            client.close()
                            if cluster is not None:
                                cluster.close()
                interrupted = latch["hit"]
        except KeyboardInterrupt:
            interrupted = True
        finally:
            collect.bar.close()
            if collect.computed or store.journal.exists():
                collect.compact()
        return SweepRun(str(store.path), sweep.task, len(cells), len(cells) - len(todo), collect.computed,
                        collect.errors(), interrupted, time.perf_counter() - start, n_workers, collect.tasks)
