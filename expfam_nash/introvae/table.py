"""The benchmark's table: every ``summary.json`` under the given directories, grouped by dataset
and method, mean and standard error over seeds (se = sample standard deviation (ddof 1) /
sqrt(n); the reference's script divides the ddof-0 deviation, a factor sqrt((n-1)/n) smaller).

Runs that stopped on NaN count in ``diverged`` and not in the means; unfinished runs are skipped,
and so are summaries that cannot be read (listed by :func:`runs`).
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from ..core.files import read_json
from .config import IntroConfig

METRICS = ("grid_kl", "grid_jsd", "gnelbo", "kl_nats", "js_nats")


def method_label(config: IntroConfig) -> str:
    """A short name of the method and its prior, e.g. 'sintro mog:64 learned-w clip'."""
    parts = [config.method, config.prior]
    if config.prior_kind == "mog":
        parts.append("learned-w" if config.learnable_weights else "uniform-w")
        if config.method == "sintro":
            parts.append("player" if config.train_prior else "fixed")
        if config.clip:
            parts.append("clip")
        if config.lambda_resp > 0:
            parts.append(f"resp{config.lambda_resp:g}")
    return " ".join(parts)


def runs(dirs) -> tuple[list[dict], list[str]]:
    """One row per final run (a ``summary.json``) under the directories ``dirs``, and the summaries
    that could not be read (damaged, or being written), as 'path: why'."""
    rows, skipped = [], []
    for root in dirs:
        if not Path(root).is_dir():
            raise ValueError(f"dirs: {str(root)!r} is not a directory")
        for path in sorted(Path(root).rglob("summary.json")):
            try:
                s = read_json(path, "summary")
                config = IntroConfig.from_dict(s["config"])
            except (KeyError, TypeError, ValueError) as exc:
                skipped.append(f"{path}: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}")
                continue
            rows.append({"dataset": config.dataset, "method": method_label(config), "steps": config.steps,
                         "seed": config.seed, "status": s.get("status"), "run": str(path.parent),
                         "settings": _settings_key(config),
                         **{m: _number(s.get(m)) for m in METRICS}})
    return rows, skipped


def _settings_key(config: IntroConfig) -> str:
    """Everything of the configuration except the seed, canonically: runs are seeds of one cell only
    when this is equal."""
    return json.dumps({k: v for k, v in config.to_dict().items() if k != "seed"}, sort_keys=True, default=str)


def _differences(keys: list[str]) -> dict[str, str]:
    """For settings keys that share a label: {key: 'field=value, ...'} over the fields that differ."""
    dicts = {k: json.loads(k) for k in keys}
    fields = sorted({f for d in dicts.values() for f in d if len({json.dumps(e.get(f)) for e in dicts.values()}) > 1})
    return {k: ", ".join(f"{f}={d.get(f)}" for f in fields) for k, d in dicts.items()}


def _number(value):
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def aggregate(rows: list[dict]) -> pd.DataFrame:
    """One row per configuration except the seed (dataset, method, steps and every other setting):
    n finished runs, diverged runs, mean and se per metric. Where one (dataset, method, steps) holds
    several configurations, the method's label names the settings that differ (e.g. mc_samples)."""
    df = pd.DataFrame(rows)
    if df.empty:
        return df
    if "settings" not in df:
        df["settings"] = ""
    out = []
    for (ds, meth, steps), cell in df.groupby(["dataset", "method", "steps"], sort=True):
        keys = sorted(cell.settings.unique())
        label = _differences(keys) if len(keys) > 1 else {keys[0]: ""}
        for key in keys:
            out.append(_summary_row(ds, meth + (f" ({label[key]})" if label[key] else ""), steps,
                                    cell[cell.settings == key]))
    return pd.DataFrame(out)


def _summary_row(ds: str, meth: str, steps: int, g: pd.DataFrame) -> dict:
    ok = g[g.status == "finished"]
    row = {"dataset": ds, "method": meth, "steps": steps, "n": len(ok), "diverged": int((g.status == "nan").sum())}
    for m in METRICS:
        v = ok[m].dropna().to_numpy(float)
        row[f"{m}_mean"] = float(v.mean()) if len(v) else np.nan
        row[f"{m}_se"] = float(v.std(ddof=1) / np.sqrt(len(v))) if len(v) > 1 else np.nan
    return row


def collect(dirs) -> pd.DataFrame:
    """The table of every final run under ``dirs`` (:func:`aggregate` of :func:`runs`)."""
    return aggregate(runs(dirs)[0])


def markdown(df: pd.DataFrame, metrics=("grid_kl", "grid_jsd", "gnelbo", "js_nats")) -> str:
    """The table as Markdown: 'mean ± se' per metric (gnelbo x 1e7, as the reference)."""
    if df.empty:
        return "(no finished runs)"
    head = ["dataset", "method", "steps", "n"] + list(metrics)
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for _, r in df.iterrows():
        cells = [r.dataset, r.method, str(r.steps), f"{r.n}" + (f" (+{r.diverged} NaN)" if r.diverged else "")]
        for m in metrics:
            mean, se = r[f"{m}_mean"], r[f"{m}_se"]
            cells.append("n/a" if np.isnan(mean) else (f"{mean:.3f}" if np.isnan(se) else f"{mean:.3f} ± {se:.3f}"))
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)
