"""The benchmark's table: every ``summary.json`` under the given directories, grouped by dataset
and method, mean and standard error over seeds (se = sample standard deviation (ddof 1) /
sqrt(n); the reference's script divides the ddof-0 deviation, a factor sqrt((n-1)/n) smaller).

Runs that stopped on NaN count in ``diverged`` and not in the means; unfinished runs are skipped.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

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


def _rows(dirs) -> list[dict]:
    rows = []
    for root in dirs:
        for path in sorted(Path(root).rglob("summary.json")):
            s = json.loads(path.read_text())
            config = IntroConfig.from_dict(s["config"])
            rows.append({"dataset": config.dataset, "method": method_label(config), "steps": config.steps,
                         "seed": config.seed, "status": s.get("status"), "run": str(path.parent),
                         **{m: s.get(m) for m in METRICS}})
    return rows


def collect(dirs) -> pd.DataFrame:
    """One row per (dataset, method, steps): n finished runs, diverged runs, mean and se per metric."""
    df = pd.DataFrame(_rows(dirs))
    if df.empty:
        return df
    out = []
    for (ds, meth, steps), g in df.groupby(["dataset", "method", "steps"], sort=True):
        ok = g[g.status == "finished"]
        row = {"dataset": ds, "method": meth, "steps": steps, "n": len(ok), "diverged": int((g.status == "nan").sum())}
        for m in METRICS:
            v = ok[m].dropna().to_numpy(float)
            row[f"{m}_mean"] = float(v.mean()) if len(v) else np.nan
            row[f"{m}_se"] = float(v.std(ddof=1) / np.sqrt(len(v))) if len(v) > 1 else np.nan
        out.append(row)
    return pd.DataFrame(out)


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
