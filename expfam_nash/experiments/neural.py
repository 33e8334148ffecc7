"""The neural learner's experiments: train VAEs by symmetric learning and by the ELBO on bars,
digits and 2-D densities, evaluate them, and hand the sample grids to :mod:`expfam_nash.plot.neural`
(minutes, not seconds). :func:`run_figures` is the figure callback of ``neural.train`` (the CLI's
``train`` passes it unless ``--no-figures``)."""
from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import numpy as np

from ..neural import checkpoint as ckpt
from ..neural import datasets as D
from ..neural.build import build_model
from ..neural.config import TrainConfig
from ..neural.protocol import HeadModel
from ..neural.train import FinishedRun, train
from ..plot.neural import curves_figure, densities_figure, runs_figure, samples_figure
from .figures import FIGURES

BARS_RUNS = [("symmetric, 6 bits", {"model": "bits:6", "method": "symmetric"}),
             ("ELBO, 6 bits", {"model": "bits:6", "method": "elbo"}),
             ("symmetric, ladder 2+6 bits", {"model": "hier:2:6", "method": "symmetric"})]
BARS_COMMON = {"dataset": "bars:3", "steps": 20000, "hidden": (64,), "lr": 3e-3, "batch": 128}
DIGITS_RUNS = [("symmetric, 16 bits", {"model": "bits:16", "method": "symmetric"}),
               ("ELBO, 16 bits", {"model": "bits:16", "method": "elbo"})]
DIGITS_COMMON = {"dataset": "digits", "steps": 20000, "hidden": (128,), "lr": 1e-3, "batch": 128, "eval_K": 500}
DENSITIES = ("eight-gaussians", "two-spirals", "checkerboard", "rings")
DENSITY_COMMON = {"model": "gaussian:2", "steps": 20000, "hidden": (128, 128), "lr": 1e-3, "batch": 128,
                  "eval_K": 200, "data_variance": 0.01}


def sample_panels(model, params, data, *, n: int = 64, chain_steps: int = 100, seed: int = 0) -> dict:
    """Data, decoder means from random codes z ~ pi, and the chain x -> z -> x after
    ``chain_steps`` steps started at test points: the measured arrays behind the figure."""
    rng = np.random.default_rng([seed, 7])
    x = np.asarray(data.x_test[:n], dtype=float)
    z, x_gen = model.generate(params, n, rng)
    if data.support == "binary":
        codes = model.p_head.mean(model.decoder_out(params, z)) if isinstance(model, HeadModel) else x_gen
    else:
        codes = x_gen
    chain = np.asarray(data.x_test[:n])
    for _ in range(chain_steps):
        chain = model.chain_step(params, chain, rng)
    return {"data": x, "random codes": np.asarray(codes, float), f"chain after {chain_steps} steps": np.asarray(chain, float)}


def _limit(data) -> float:
    return float(np.abs(np.asarray(data.x_test)).max() * 1.1)


def run_figures(run: FinishedRun) -> list[Path]:
    """The figures of one finished run: ``samples.png`` and ``curves.png`` in its directory."""
    model, params, data, out, seed = run.model, run.params, run.data, Path(run.out), run.config.seed
    panels = sample_panels(model, params, data, n=64 if data.image_shape else 2000, seed=seed)
    title = f"{data.name}: test data, samples from random codes (decoder mean), reconstruction chain"
    samples_figure(panels, data.image_shape, None if data.image_shape else _limit(data), title) \
        .savefig(out / "samples.png", dpi=110)
    paths = [out / "samples.png"]
    if (out / "metrics.jsonl").exists():
        curves_figure(out / "metrics.jsonl").savefig(out / "curves.png", dpi=110)
        paths.append(out / "curves.png")
    return paths


def train_and_evaluate(config: TrainConfig, *, log=None, timing: dict | None = None):
    """Train ``config`` in a temporary directory; (model, params, data, evaluation dict). The wall
    time goes to ``timing`` (label -> seconds), not into the seeded results."""
    with tempfile.TemporaryDirectory() as tmp:
        run = train(config, Path(tmp) / "run", progress=False)
        params = ckpt.load(Path(tmp) / "run" / "checkpoint.npz")[0].params
    data = D.load(config.dataset, seed=config.seed, n_train=config.n_train)
    label = f"{config.dataset} {config.model} {config.method}"
    print(f"  {label}: {run.steps} steps in {run.wall_time:.0f} s", file=log or sys.stderr, flush=True)
    if timing is not None:
        timing[label] = run.wall_time
    return build_model(config, data), params, data, run.evaluation


def metric_line(ev: dict) -> str:
    """The headline numbers of an evaluation, for a panel label."""
    parts = []
    if ev.get("ll_gap") is not None:
        parts.append(f"LL gap {ev['ll_gap']:.3f}±{ev['ll_gap_se']:.3f} nat")
    elif ev.get("log_likelihood"):
        ll = ev["log_likelihood"]
        parts.append(f"LL {ll['mean']:.2f}±{ll['se']:.2f} ({ll['method']})")
    ch = ev.get("chain") or {}
    if ch.get("tv") is not None:
        parts.append(f"chain TV {ch['tv']:.3f}")
    elif ch.get("mmd") is not None:
        parts.append(f"chain MMD² {ch['mmd']:.4f} (floor {ch['mmd_floor']:.4f})")
    lat = ev.get("latents") or {}
    if "n_active" in lat:
        parts.append(f"active {lat['n_active']}/{lat['n_units']}")
    return ", ".join(parts)


def _jsonable_common(common: dict) -> dict:
    return {k: list(v) if isinstance(v, tuple) else v for k, v in common.items()}


def image_experiment(common: dict, runs, seed: int = 0, title: str = ""):
    """Rows: runs; columns: test data, decoder means from random codes, chain samples."""
    rows, out, shape = [], {"common": _jsonable_common(common), "runs": [], "timing": {}}, None
    for label, over in runs:
        model, params, data, ev = train_and_evaluate(TrainConfig(**{**common, **over, "seed": seed}),
                                                     timing=out["timing"])
        rows.append((label, sample_panels(model, params, data, n=64, seed=seed), metric_line(ev)))
        shape = data.image_shape
        out["runs"].append({"label": label, "config": dict(over), "evaluation": ev})
    return runs_figure(rows, shape, title), out


@FIGURES.register("neural_bars", minutes=True, help="VAEs on 3x3 bars: symmetric, ELBO, ladder hierarchy")
def bars_experiment(seed: int = 0):
    return image_experiment(BARS_COMMON, BARS_RUNS, seed, "bars 3x3 (p = 1/2): test images, decoder means from "
                            "z ~ prior, reconstruction chain after 100 steps; metrics on held-out data")


@FIGURES.register("neural_digits", minutes=True, extras=("digits",), help="VAEs on binarised 8x8 digits")
def digits_experiment(seed: int = 0):
    return image_experiment(DIGITS_COMMON, DIGITS_RUNS, seed, "binarised 8x8 digits (scikit-learn): test images, "
                            "decoder means from z ~ prior, chain after 100 steps; exact log-likelihood (sum over 2^16 codes)")


@FIGURES.register("neural_densities", minutes=True, help="VAEs with Gaussian latents on four 2-D densities")
def densities_experiment(seed: int = 0):
    """Rows: 2-D densities; columns: data, then decoder samples and chain samples per method."""
    rows, out = [], {"common": _jsonable_common(DENSITY_COMMON), "runs": [], "timing": {}}
    for name in DENSITIES:
        runs, lim = [], None
        for method in ("symmetric", "elbo"):
            cfg = TrainConfig(**{**DENSITY_COMMON, "dataset": name, "method": method, "seed": seed})
            model, params, data, ev = train_and_evaluate(cfg, timing=out["timing"])
            runs.append((method, sample_panels(model, params, data, n=2000, seed=seed), metric_line(ev)))
            lim = _limit(data)
            out["runs"].append({"dataset": name, "method": method, "evaluation": ev})
        rows.append((name, lim, runs))
    fig = densities_figure(rows, "2-D densities, Gaussian latents N(0, I_2), decoder N(f(z), 0.01 I): data, decoder "
                                 "samples from z ~ prior, chain after 100 steps; IS log-likelihood (K=200), MMD² of "
                                 "chain vs test data")
    return fig, out
