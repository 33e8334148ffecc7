"""Where a sweep's rows live: a journal while it runs, a table when it stops.

* **Journal** ``OUT.journal``: JSON lines, one row per finished cell, appended and fsync'ed as
  each batch comes back, so a killed driver loses only the cells in flight. A torn last line
  (the driver died mid-write) is ignored: that cell is simply computed again.
* **Table** ``OUT`` (``.parquet`` via pyarrow, or ``.csv``): one row per cell, rows in grid
  order, written atomically (a temporary file renamed over the old one), after which the journal
  is removed. Reading a table also reads a journal left beside it, so a sweep killed hard is
  still readable, and resumable by key.
* **Runs** ``OUT.runs/KEY``: the run directory of each cell of a task that writes one (``train``),
  so that a cell interrupted with its worker continues from its last checkpoint.
* **Lock** ``OUT.lock`` (``fcntl.flock``, released when the process dies): two sweeps never
  write one table.

Columns: ``key``, ``task``, the parameters (varied ones first), the task's verdicts and metrics,
then ``error`` (``None``, or ``Type: message`` for a cell that raised), ``elapsed_s`` (wall time;
the one column that differs between two runs of the same sweep) and ``version``.
"""
from __future__ import annotations

import contextlib
import json
import math
import os
from pathlib import Path
from typing import Iterable

META_FIRST = ("key", "task")
META_LAST = ("error", "elapsed_s", "version")
#: columns whose values are not a function of the cell's parameters
NONDETERMINISTIC = ("elapsed_s",)
FORMATS = (".parquet", ".csv")


def table_path(path: str | os.PathLike) -> Path:
    p = Path(path)
    if p.suffix not in FORMATS:
        raise ValueError(f"out: expected a path ending in {' or '.join(FORMATS)}, got {str(path)!r}")
    if p.exists() and not p.is_file():
        raise ValueError(f"out: {str(path)!r} exists and is not a file")
    return p


def journal_path(path: Path) -> Path:
    return path.with_name(path.name + ".journal")


def runs_path(path: Path) -> Path:
    """Where the cells of tasks that write run directories keep them: ``OUT.runs/KEY``."""
    return path.with_name(path.name + ".runs")


class Store:
    """The rows of one output table (see the module docstring)."""

    def __init__(self, path: str | os.PathLike):
        self.path = table_path(path)
        self.journal = journal_path(self.path)
        self._lock = None

    # -- lock ------------------------------------------------------------------------------------
    def __enter__(self) -> "Store":
        self.path.parent.mkdir(parents=True, exist_ok=True)
        lock = self.path.with_name(self.path.name + ".lock")
        fh = open(lock, "a")
        try:
            import fcntl
        except ImportError:         # no flock (Windows): one writer is the user's responsibility
            self._lock = (fh, lock)
            return self
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            fh.close()
            raise ValueError(f"out: {str(self.path)!r} is being written by another sweep (lock {lock.name})") from None
        self._lock = (fh, lock)
        return self

    def __exit__(self, *exc) -> None:
        if self._lock is not None:
            fh, lock = self._lock
            with contextlib.suppress(OSError):
                lock.unlink()
            fh.close()
            self._lock = None

    # -- rows ------------------------------------------------------------------------------------
    def load(self) -> dict[str, dict]:
        """{key: row} of the table and the journal (a journal row wins: it is newer)."""
        rows = {r["key"]: r for r in read_rows(self.path)} if self.path.exists() else {}
        rows.update((r["key"], r) for r in _read_journal(self.journal))
        return rows

    def append(self, rows: Iterable[dict]) -> None:
        """Append finished rows to the journal, durably (flush + fsync)."""
        text = "".join(json.dumps(r, allow_nan=True) + "\n" for r in rows)
        if not text:
            return
        with open(self.journal, "a") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())

    def write(self, rows: list[dict], columns: list[str], meta: dict) -> None:
        """Write ``rows`` (in the order given) as the table, atomically; then drop the journal."""
        frame = to_frame(rows, columns)
        tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        try:
            if self.path.suffix == ".parquet":
                import pyarrow as pa
                import pyarrow.parquet as pq

                table = pa.Table.from_pandas(frame, preserve_index=False)
                table = table.replace_schema_metadata({**(table.schema.metadata or {}),
                                                       b"expfam_nash.sweep": json.dumps(meta).encode()})
                pq.write_table(table, tmp)
            else:
                frame.to_csv(tmp, index=False)
            os.replace(tmp, self.path)
        finally:
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()
        with contextlib.suppress(FileNotFoundError):
            self.journal.unlink()


def _read_journal(path: Path) -> list[dict]:
    if not path.exists():
        return []
    rows = []
    with open(path) as fh:
        for line in fh:
            try:
                row = json.loads(line)
            except json.JSONDecodeError:        # a torn line: that cell is computed again
                continue
            if isinstance(row, dict) and isinstance(row.get("key"), str):
                rows.append(row)
    return rows


def _python(value):
    """A table value as a plain Python scalar (None for missing)."""
    if value is None:
        return None
    if hasattr(value, "item"):            # numpy scalar
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    try:
        import pandas as pd
        if value is pd.NA:
            return None
    except ImportError:
        pass
    return value


def read_rows(path: str | os.PathLike) -> list[dict]:
    """The rows of a table file as plain Python dicts (missing values None), in file order."""
    p = table_path(path)
    if p.suffix == ".parquet":
        import pyarrow.parquet as pq

        try:
            rows = pq.read_table(p).to_pylist()
        except Exception as exc:            # noqa: BLE001 -- pyarrow raises several types
            raise ValueError(f"out: {str(p)!r} is not a readable Parquet file ({exc})") from None
    else:
        import pandas as pd

        frame = pd.read_csv(p, dtype_backend="numpy_nullable")
        rows = frame.to_dict("records")
    rows = [{k: _python(v) for k, v in r.items()} for r in rows]
    if rows and "key" not in rows[0]:
        raise ValueError(f"out: {str(p)!r} is not a sweep table (no 'key' column)")
    return rows


def load_table(path: str | os.PathLike, sweep=None):
    """A sweep table as a pandas DataFrame, including rows still in its journal (a running or
    killed sweep), in the table's order followed by the journal's. With ``sweep`` (a ``Sweep``):
    only the rows of its cells that are done, in its grid order."""
    p = table_path(path)
    journal = _read_journal(journal_path(p))
    if not p.exists() and not journal:
        raise ValueError(f"path: no sweep table at {str(path)!r}")
    rows = {r["key"]: r for r in read_rows(p)} if p.exists() else {}
    rows.update((r["key"], r) for r in journal)
    if sweep is not None:
        rows = {c.key: rows[c.key] for c in sweep.cells() if c.key in rows}
    columns = list(dict.fromkeys(c for r in rows.values() for c in r))
    return to_frame(list(rows.values()), order_columns(columns))


def order_columns(columns: list[str], params: list[str] = ()) -> list[str]:
    """key, task, ``params`` (in order), the other columns (in order), error, elapsed_s, version."""
    head = [c for c in META_FIRST if c in columns or c == "key"] + [c for c in params if c not in META_FIRST]
    tail = [c for c in META_LAST if c in columns]
    return head + [c for c in columns if c not in head and c not in tail] + tail


def _column(values: list):
    """One column with a type that holds its values: nullable booleans / integers, floats (NaN
    for missing), strings; a column mixing kinds (e.g. 0.5 and 'learned') becomes text."""
    import pandas as pd

    present = [x for x in values if x is not None]
    if all(isinstance(x, bool) for x in present) and present:
        return pd.array(values, dtype="boolean")
    if all(isinstance(x, int) and not isinstance(x, bool) for x in present) and present:
        return pd.array(values, dtype="Int64")
    if all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in present) and present:
        return pd.array([float("nan") if x is None else float(x) for x in values], dtype="float64")
    if all(isinstance(x, str) for x in present):
        return pd.array(values, dtype=object) if not present else pd.array(values, dtype="string")
    return pd.array([None if x is None else (x if isinstance(x, str) else json.dumps(x)) for x in values],
                    dtype="string")


def to_frame(rows: list[dict], columns: list[str]):
    """A DataFrame with ``columns`` (missing values None) built column by column (see ``_column``)."""
    import pandas as pd

    return pd.DataFrame({c: _column([r.get(c) for r in rows]) for c in columns}, columns=columns)
