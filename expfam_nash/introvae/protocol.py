"""The benchmark protocol: the five methods, the scaled and full runs, a budgeted grid search, and
a resumable driver that runs a plan in the background (docs/introvae.md, "Protocol").

Methods of the table (``METHODS``; every mixture has K = 64 components with learnable weights):

* ``vae``              beta-VAE, N(0, I)
* ``sintro``           S-IntroVAE, N(0, I)
* ``sintro-fixed``     S-IntroVAE, the mixture learned during warm-up (VampPrior, then free), then frozen
* ``sintro-prior``     S-IntroVAE, the mixture as third player, adaptive variance clipping
* ``symmetric-prior``  symmetric equilibrium learning, the mixture as third player, learned decoder variance

:func:`plan` lists (run directory, config) pairs: every dataset x method x seed at the schedule
divided by ``scale``, plus one seed per method at the full schedule for ``full_datasets``.
:func:`drive` runs a plan: finished runs (``summary.json``) are skipped, stopped ones resumed from
their checkpoints, ``jobs`` at a time, each in its own process pinned to one thread.
"""
from __future__ import annotations

import dataclasses
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from .config import IntroConfig
from .data import DATASETS

_MOG = dict(prior="mog:64", learnable_weights=True)
METHODS = {
    "vae": dict(method="vae"),
    "sintro": dict(method="sintro"),
    "sintro-fixed": dict(method="sintro", train_prior=False, **_MOG),
    "sintro-prior": dict(method="sintro", **_MOG),
    "symmetric-prior": dict(method="symmetric", **_MOG),
}
#: ablations of the learnable prior (uniform weights; no clipping; VAE with the VampPrior)
EXTRAS = {
    "vae-prior": dict(method="vae", **_MOG),
    "sintro-prior-uniform": dict(method="sintro", prior="mog:64"),
    "sintro-prior-noclip": dict(method="sintro", clip=False, **_MOG),
}
THREAD_VARS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS")
#: the proposed protocol: the schedule divided by 10 for the five-seed table, and two deviations
#: made to fit the machine in every training run (the evaluation keeps the reference's 100 draws):
#: 10 instead of 100 Monte Carlo samples per KL, and the gamma_r = 1e-8 terms left out
PROPOSED_SCALE = 10.0
PROPOSED = {"mc_samples": 10, "gamma_r": 0.0}
REFERENCE = {"mc_samples": 100, "gamma_r": 1e-8}


def config_for(dataset: str, method: str, seed: int, scale: float = 1.0, **overrides) -> IntroConfig:
    kw = {**METHODS, **EXTRAS}[method]
    config = IntroConfig(dataset=dataset, seed=seed, **{**kw, **overrides})
    return config if scale == 1 else config.scaled(scale)


def plan(root, *, scale: float = PROPOSED_SCALE, seeds=range(5), datasets=DATASETS, methods=tuple(METHODS),
         full_datasets=("8Gaussian", "checkerboard"), full_seed: int = 0, **overrides) -> list[tuple[Path, IntroConfig]]:
    """[(run directory, config)]: the scaled grid first, then the full-schedule runs."""
    root = Path(root)
    runs = [(root / f"scaled{scale:g}" / ds / m / f"seed{s}", config_for(ds, m, s, scale, **overrides))
            for ds in datasets for m in methods for s in seeds]
    runs += [(root / "full" / ds / m / f"seed{full_seed}", config_for(ds, m, full_seed, 1.0, **overrides))
             for ds in full_datasets for m in methods]
    return runs


def deviation_check(root, *, scale: float = PROPOSED_SCALE, dataset: str = "8Gaussian",
                    method: str = "sintro-prior", seeds=range(5)) -> list[tuple[Path, IntroConfig]]:
    """The same configuration with the reference's settings (M = 100, gamma_r = 1e-8), to set
    beside the proposed protocol's runs of it: the measured effect of the deviations."""
    return [(Path(root) / f"scaled{scale:g}-reference" / dataset / method / f"seed{s}",
             config_for(dataset, method, s, scale, **REFERENCE)) for s in seeds]


def estimate(runs, costs: dict) -> dict:
    """Core-seconds of a plan from measured costs (``python -m benchmarks.introvae --only costs``:
    its ``costs_one_thread`` dict, ms per iteration by case name, evaluation seconds by prior)."""
    def ms(method, prior, over, fixed=False):
        key = {("vae", "normal"): "vae normal", ("vae", "mog"): "vae mog (VampPrior)",
               ("sintro", "normal"): "sintro normal", ("sintro", "mog"): "sintro mog (learnable player)",
               ("symmetric", "mog"): "symmetric mog", ("symmetric", "normal"): "symmetric mog"}[(method, prior)]
        if fixed and "sintro mog (fixed)" in costs:
            key = "sintro mog (fixed)"
        if over and method == "sintro":
            key += ", M=10, no gamma_r"
        elif over and method == "vae":
            key += ", M=10"
        return costs[key]["ms_per_it"] / 1e3

    total, per = 0.0, {}
    for d, c in runs:
        prior = c.prior_kind
        over = c.mc_samples != 100
        main = ms(c.method, prior, over, fixed=not c.train_prior)
        warm = ms("vae", prior, over) if c.method == "sintro" else main
        n_warm = c.warmup if c.method == "sintro" else 0
        sec = n_warm * warm + (c.steps - n_warm) * main + costs["evaluation"]["mog" if prior == "mog" else "normal"]
        per[str(d)] = sec
        total += sec
    return {"core_seconds": total, "core_hours": total / 3600, "runs": len(per), "per_run": per}


# -- budgeted grid search -------------------------------------------------------------------------
#: the reference's grid (``get_hyperparams``): beta_neg = multiplier * beta_kl
GRID = {
    "vae": {"beta_rec": (0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.7, 0.8, 1.0),
            "beta_kl": (0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.7, 0.8, 1.0), "neg_multiplier": (None,)},
    "sintro": {"beta_rec": (0.05, 0.2, 0.3, 0.4, 0.8, 1.0), "beta_kl": (0.05, 0.1, 0.2, 0.3, 0.5, 0.8, 1.0),
               "neg_multiplier": (1, 2, 3, 4, 5)},
}


def grid_points(method: str, budget: int, seed: int = 0, recommended: dict | None = None) -> list[dict]:
    """``budget`` points of the reference grid for 'vae' or 'sintro': the recommended weights
    first (when given), then a seeded random subset without replacement."""
    g = GRID[method]
    pts = [{"beta_rec": r, "beta_kl": k, "beta_neg": None if m is None else float(f"{m * k:.3f}")}
           for r in g["beta_rec"] for k in g["beta_kl"] for m in g["neg_multiplier"]]
    rng = np.random.default_rng(seed)
    order = [pts[i] for i in rng.permutation(len(pts))]
    if recommended is not None:
        order = [recommended] + [p for p in order if p != recommended]
    return order[:budget]


def grid_plan(root, dataset: str, method: str, budget: int, *, scale: float = PROPOSED_SCALE, seed: int = 0,
              grid_seed: int = 0, **overrides) -> list[tuple[Path, IntroConfig]]:
    """Runs of the budgeted grid search for one (dataset, table method) on ``seed`` (the paper
    picks weights on seed 0), at the schedule divided by ``scale``."""
    base = config_for(dataset, method, seed, scale, **overrides)
    kind = "vae" if base.method == "vae" else "sintro"
    rec = {"beta_rec": base.beta_rec, "beta_kl": base.beta_kl, "beta_neg": base.beta_neg}
    out = []
    for pt in grid_points(kind, budget, grid_seed, rec):
        name = f"rec{pt['beta_rec']:g}_kl{pt['beta_kl']:g}" + ("" if pt["beta_neg"] is None else f"_neg{pt['beta_neg']:g}")
        out.append((Path(root) / "grid" / dataset / method / name, dataclasses.replace(base, **pt)))
    return out


def best_of_grid(run_dirs) -> tuple[Path, dict] | None:
    """The finished run with the smallest grid_kl (the reference's criterion) and its summary."""
    best = None
    for d in run_dirs:
        p = Path(d) / "summary.json"
        if p.exists():
            s = json.loads(p.read_text())
            if s.get("status") == "finished" and s.get("grid_kl") is not None:
                if best is None or s["grid_kl"] < best[1]["grid_kl"]:
                    best = (Path(d), s)
    return best


# -- driver --------------------------------------------------------------------------------------
def status(out: Path) -> str:
    out = Path(out)
    if (out / "summary.json").exists():
        return json.loads((out / "summary.json").read_text()).get("status", "finished")
    return "partial" if (out / "checkpoint.npz").exists() else "new"


def _busy(out: Path) -> bool:
    """True while another driver's worker (pid in ``worker.pid``) is alive on this run."""
    pid_file = Path(out) / "worker.pid"
    try:
        os.kill(int(pid_file.read_text()), 0)
    except (OSError, ValueError):
        return False
    return True


def _command(out: Path, config: IntroConfig) -> list[str]:
    return [sys.executable, "-m", "expfam_nash.introvae", "run-one", "--out", str(out),
            "--config-json", json.dumps(config.to_dict())]


def _raise_interrupt(signum, frame):
    raise KeyboardInterrupt


def drive(runs, *, jobs: int = 1, log=print, poll: float = 2.0) -> dict:
    """Run every (dir, config) not yet final, ``jobs`` processes at a time (each one thread).
    Returns {status: count} at the end. Interrupting the driver stops its runs; running it again
    resumes them (each loses at most its checkpoint interval)."""
    todo = [(Path(d), c) for d, c in runs if status(d) in ("new", "partial") and not _busy(d)]
    log(f"{len(runs)} runs planned, {len(todo)} to run with {jobs} job(s), the others final or running elsewhere")
    env = {**os.environ, **{v: "1" for v in THREAD_VARS}}
    active: list = []
    t0 = time.monotonic()
    old = signal.signal(signal.SIGTERM, _raise_interrupt)      # `kill PID` stops the workers too
    try:
        while todo or active:
            while todo and len(active) < jobs:
                d, c = todo.pop(0)
                d.mkdir(parents=True, exist_ok=True)
                fh = (d / "stderr.log").open("a")
                proc = subprocess.Popen(_command(d, c), env=env, stdout=fh, stderr=fh)
                (d / "worker.pid").write_text(str(proc.pid))
                active.append((proc, d, fh, time.monotonic()))
                log(f"start {d}")
            for item in list(active):
                proc, d, fh, t1 = item
                if proc.poll() is not None:
                    fh.close()
                    (d / "worker.pid").unlink(missing_ok=True)
                    active.remove(item)
                    log(f"{status(d):9s} {d} ({time.monotonic() - t1:.0f} s; exit {proc.returncode}; "
                        f"{len(todo)} waiting, {time.monotonic() - t0:.0f} s so far)")
            time.sleep(poll)
    finally:
        signal.signal(signal.SIGTERM, old)
        for proc, d, fh, _ in active:
            proc.terminate()
            proc.wait()
            fh.close()
            (d / "worker.pid").unlink(missing_ok=True)
    counts: dict = {}
    for d, _ in runs:
        s = status(d)
        counts[s] = counts.get(s, 0) + 1
    return counts
