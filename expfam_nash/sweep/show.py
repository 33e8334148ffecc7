"""A summary of a sweep table (``expfam-nash sweep --show PATH``): rows, errors, which
parameters vary, counts of each verdict, ranges of the metrics."""
from __future__ import annotations

from dataclasses import dataclass

from .store import META_FIRST, META_LAST, load_table
from .tasks import get, nested_registries

MAX_VALUES = 12        # distinct values listed per parameter


def _parameter_names(frame) -> list[str]:
    """Columns that are parameters of the tasks (and nested entries) found in the table."""
    names: list[str] = []
    for task in frame["task"].dropna().unique() if "task" in frame else ():
        try:
            entry = get(str(task))
        except ValueError:            # a task this installation does not know
            continue
        names += [a.name for a in entry.args]
        for reg in nested_registries(entry).values():
            names += [a.name for sub in reg.entries() for a in sub.args]
    return [c for c in frame.columns if c in names]


def _plain(x):
    return x.item() if hasattr(x, "item") else x


@dataclass(frozen=True)
class TableSummary:
    path: str
    rows: int
    tasks: tuple[str, ...]
    errors: int
    error_examples: tuple[str, ...]
    varied: dict          # parameter -> its distinct values (at most MAX_VALUES listed)
    constant: dict        # parameter -> its one value
    verdicts: dict        # column -> {value: count}  (bool and text columns)
    metrics: dict         # column -> {min, median, max, missing}
    seconds: float        # total of elapsed_s

    def summary(self) -> str:
        lines = [f"{self.path}: {self.rows} rows, task {', '.join(self.tasks) or '?'}, {self.errors} with an error"
                 + (f", cell time {self.seconds:.1f} s in total" if self.seconds else "")]
        lines += [f"  error: {e}" for e in self.error_examples]
        for name, vals in self.varied.items():
            lines.append(f"  varied   {name}: {len(vals)} values: {', '.join(map(str, vals[:MAX_VALUES]))}"
                         + (" ..." if len(vals) > MAX_VALUES else ""))
        if self.constant:
            lines.append("  fixed    " + ", ".join(f"{k}={v}" for k, v in self.constant.items()))
        for name, counts in self.verdicts.items():
            lines.append(f"  verdict  {name}: " + ", ".join(f"{k} {n}" for k, n in counts.items()))
        for name, m in self.metrics.items():
            lines.append(f"  metric   {name}: min {m['min']:.4g}, median {m['median']:.4g}, max {m['max']:.4g}"
                         + (f", {m['missing']} missing" if m["missing"] else ""))
        return "\n".join(lines)

    def to_dict(self) -> dict:
        from .._jsonable import jsonable
        return jsonable({k: getattr(self, k) for k in self.__dataclass_fields__})


def summarise(path) -> TableSummary:
    """Summary of the sweep table at ``path`` (its journal included)."""
    frame = load_table(path)
    params = _parameter_names(frame)
    varied, constant = {}, {}
    for c in params:
        vals = [_plain(x) for x in frame[c].dropna().unique()]
        (varied if len(vals) > 1 else constant)[c] = vals if len(vals) > 1 else (vals[0] if vals else None)
    verdicts, metrics = {}, {}
    skip = set(params) | set(META_FIRST) | set(META_LAST)
    for c in frame.columns:
        if c in skip:
            continue
        col = frame[c]
        if str(col.dtype) in ("boolean", "bool") or (col.dtype == object or str(col.dtype) in ("string", "str")):
            counts = col.astype("string").fillna("<missing>").value_counts(sort=True)
            if len(counts) <= MAX_VALUES:
                verdicts[c] = {str(k): int(n) for k, n in counts.items()}
        else:
            num = col.astype("float64")
            ok = num.dropna()
            if len(ok):
                metrics[c] = {"min": float(ok.min()), "median": float(ok.median()), "max": float(ok.max()),
                              "missing": int(num.isna().sum())}
    errs = frame["error"].dropna() if "error" in frame else frame.iloc[:0, 0]
    seconds = float(frame["elapsed_s"].astype("float64").sum()) if "elapsed_s" in frame else 0.0
    tasks = tuple(str(t) for t in frame["task"].dropna().unique()) if "task" in frame else ()
    return TableSummary(str(path), len(frame), tasks, len(errs), tuple(str(e) for e in errs.unique()[:3]), varied,
                        constant, verdicts, metrics, seconds)
