"""Figures of the Soft-IntroVAE benchmark (seed 002), read from finished run directories under the
option ``runs`` (default ``runs/introvae``; the protocol's layout ``RUNS/scaled10/DATASET/METHOD/seedS``,
written by ``python -m expfam_nash.introvae drive`` or ``expfam-nash train``):

* ``introvae_samples``: generated points D(z), z ~ prior, over the data, per dataset and method (the
  lowest finished seed of each);
* ``introvae_priors``: the prior's components (2-standard-deviation ellipses, opacity by weight) over
  the aggregate posterior (encoder means of data points);
* ``introvae_metrics``: grid KL, grid JSD and gnELBO, mean and standard error over the finished seeds.

A figure drawn from some of the runs lists the others under ``data["missing"]`` (the ``figures`` task
prints them on one line); with none finished it raises ``MissingInputs`` (the gallery skips it).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from ..core.registry import Arg
from ..plot.introvae import plot_metric_bars, plot_priors, plot_samples
from .figures import FIGURES, MissingInputs

RUNS = Arg("runs", str, "runs/introvae", "root of the benchmark's run directories")
SCHEDULE = "scaled10"
SEEDS = tuple(range(5))
METRICS = ("grid_kl", "grid_jsd", "gnelbo")


def _layout():
    from ..introvae.data import DATASETS
    from ..introvae.protocol import METHODS

    return list(DATASETS), list(METHODS)


def _finished(run: Path) -> dict | None:
    """The summary of a finished run with its samples, or None (absent, unfinished, NaN, unreadable)."""
    from ..core.files import read_json

    try:
        summary = read_json(run / "summary.json", "summary")
    except ValueError:
        return None
    return summary if summary.get("status") == "finished" and (run / "samples.npz").is_file() else None


def _runs(root) -> tuple[dict, list[str]]:
    """{(dataset, method): [(seed, run dir, summary), ...]} of finished runs and the missing ones,
    grouped as 'DATASET/METHOD seeds S,...'."""
    datasets, methods = _layout()
    base = Path(root) / SCHEDULE
    found, missing = {}, []
    for ds in datasets:
        for m in methods:
            have = [(s, base / ds / m / f"seed{s}") for s in SEEDS]
            have = [(s, d, _finished(d)) for s, d in have]
            found[(ds, m)] = [(s, d, v) for s, d, v in have if v is not None]
            absent = [str(s) for s, _, v in have if v is None]
            if absent:
                missing.append(f"{ds}/{m} seed{'s' if len(absent) > 1 else ''} {','.join(absent)}")
    if not any(found.values()):
        raise MissingInputs(f"runs: no finished run under {base} (expected DATASET/METHOD/seedS, "
                            "e.g. from python -m expfam_nash.introvae drive)")
    return found, missing


def _samples(run: Path) -> dict:
    from ..core.files import read_npz

    return read_npz(run / "samples.npz", "samples")


def _first_runs(found: dict):
    """(dataset, method, seed, run, summary, samples) of the lowest finished seed of each cell."""
    for (ds, m), have in found.items():
        if have:
            s, run, summary = have[0]
            yield ds, m, s, run, summary, _samples(run)


@FIGURES.register("introvae_samples", args=(RUNS,),
                  help="Soft-IntroVAE benchmark: generated samples over the data per dataset and method")
def introvae_samples(seed: int = 0, runs: str = RUNS.default):
    from ..introvae.data import grid_scale

    datasets, methods = _layout()
    found, missing = _runs(runs)
    panels, data = {}, {}
    for ds, m, s, run, summary, arrays in _first_runs(found):
        panels[(ds, m)] = {"data": arrays["data"], "generated": arrays["generated"], "limit": 2 * grid_scale(ds),
                           "text": f"seed {s}: grid KL {summary.get('grid_kl', float('nan')):.3g}"}
        data[f"{ds}/{m}"] = {"run": str(run), "seed": s, "grid_kl": summary.get("grid_kl"),
                             "points": int(len(arrays["generated"]))}
    fig = plot_samples(datasets, methods, panels, title=f"Soft-IntroVAE benchmark ({SCHEDULE}): D(z), z ~ prior "
                                                        "(blue) and data (orange), window [-2g, 2g]^2 of the metrics")
    return fig, {"panels": data, "missing": missing}


@FIGURES.register("introvae_priors", args=(RUNS,),
                  help="Soft-IntroVAE benchmark: prior components over the aggregate posterior")
def introvae_priors(seed: int = 0, runs: str = RUNS.default):
    datasets, methods = _layout()
    found, missing = _runs(runs)
    panels, data = {}, {}
    for ds, m, s, run, _, a in _first_runs(found):
        panels[(ds, m)] = {"latent": a["latent_data"], "means": a["prior_means"], "logvars": a["prior_logvars"],
                           "weights": a["prior_weights"]}
        data[f"{ds}/{m}"] = {"run": str(run), "seed": s, "means": a["prior_means"], "logvars": a["prior_logvars"],
                             "weights": a["prior_weights"]}
    fig = plot_priors(datasets, methods, panels, title=f"Soft-IntroVAE benchmark ({SCHEDULE}): prior components "
                                                       "(2 sd, opacity ~ weight) over encoder means of data")
    return fig, {"panels": data, "missing": missing}


@FIGURES.register("introvae_metrics", args=(RUNS,),
                  help="Soft-IntroVAE benchmark: grid KL, grid JSD, gnELBO (mean and standard error over seeds)")
def introvae_metrics(seed: int = 0, runs: str = RUNS.default):
    datasets, methods = _layout()
    found, missing = _runs(runs)
    table = {}
    for key, have in found.items():
        if have:
            row = {"n": len(have), "seeds": [s for s, _, _ in have]}
            for metric in METRICS:
                v = np.array([h[2].get(metric) for h in have if h[2].get(metric) is not None], dtype=float)
                row[f"{metric}_mean"] = float(v.mean()) if len(v) else None
                row[f"{metric}_se"] = float(v.std(ddof=1) / np.sqrt(len(v))) if len(v) > 1 else None
            table[key] = row
    shown = {k: {m: (np.nan if v is None else v) for m, v in r.items()} for k, r in table.items()}
    fig = plot_metric_bars(list(METRICS), datasets, methods, shown,
                           title=f"Soft-IntroVAE benchmark ({SCHEDULE}): mean over finished seeds, whiskers one "
                                 "standard error (sample sd / sqrt(n)); gnELBO x 1e7")
    return fig, {"table": {f"{ds}/{m}": r for (ds, m), r in table.items()}, "missing": missing}
