"""Figures of a training run: sample grids (data, decoder from random codes, the reconstruction
chain) and learning curves. Images for image data, scatter plots for 2-D data."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from ._base import new_figure


def _grid(images: np.ndarray, shape: tuple[int, int], cols: int) -> np.ndarray:
    """Tile (n, h*w) images into one array with one-pixel gaps (NaN, drawn white)."""
    h, w = shape
    rows = int(np.ceil(len(images) / cols))
    out = np.full((rows * (h + 1) - 1, cols * (w + 1) - 1), np.nan)
    for i, img in enumerate(images):
        r, c = divmod(i, cols)
        out[r * (h + 1): r * (h + 1) + h, c * (w + 1): c * (w + 1) + w] = img.reshape(h, w)
    return out


def sample_panels(model, params, data, *, n: int = 64, chain_steps: int = 100, seed: int = 0) -> dict:
    """Data, decoder means from random codes z ~ pi, and the chain x -> z -> x after
    ``chain_steps`` steps started at test points: the measured arrays behind the figure."""
    rng = np.random.default_rng([seed, 7])
    x = np.asarray(data.x_test[:n], dtype=float)
    z, x_gen = model.generate(params, n, rng)
    if data.support == "binary":
        codes = model.p_head.mean(model.decoder_out(params, z)) if hasattr(model, "decoder_out") else x_gen
    else:
        codes = x_gen
    chain = np.asarray(data.x_test[:n])
    for _ in range(chain_steps):
        chain = model.chain_step(params, chain, rng)
    return {"data": x, "random codes": np.asarray(codes, float), f"chain after {chain_steps} steps": np.asarray(chain, float)}


def samples_figure(model, params, data, *, seed: int = 0, title: str = ""):
    panels = sample_panels(model, params, data, n=64 if data.image_shape else 2000, seed=seed)
    fig, axes = new_figure(1, 3, width=3.6, height=3.6)
    for ax, (name, arr) in zip(axes[0], panels.items()):
        if data.image_shape:
            ax.imshow(_grid(arr, data.image_shape, 8), cmap="gray_r", vmin=0, vmax=1, interpolation="nearest")
            ax.set_xticks([])
            ax.set_yticks([])
        else:
            ax.scatter(arr[:, 0], arr[:, 1], s=1, alpha=0.4)
            lim = np.abs(np.asarray(data.x_test)).max() * 1.1
            ax.set_xlim(-lim, lim)
            ax.set_ylim(-lim, lim)
            ax.set_xlabel("x1")
            ax.set_ylabel("x2")
            ax.set_aspect("equal")
        ax.set_title(name, fontsize=10)
    fig.suptitle(title or f"{data.name}: test data, samples from random codes (decoder mean), reconstruction chain",
                 fontsize=10)
    return fig


def curves_figure(metrics_path, title: str = ""):
    rows = [json.loads(line) for line in Path(metrics_path).read_text().splitlines() if line.strip()]
    fig, axes = new_figure(1, 1, width=6, height=3.6)
    ax = axes[0, 0]
    steps = np.array([r["step"] for r in rows])
    for key, label in (("decoder_ll", "decoder: mean log p(x, z | .) on (data, z~q)"),
                       ("encoder_ll", "encoder: mean log q(z|x) on (z~prior, x~p)"),
                       ("elbo", "ELBO estimate")):
        vals = np.array([r.get(key, np.nan) for r in rows], dtype=float)
        if np.isfinite(vals).any():
            ax.plot(steps, vals, label=label, lw=1)
    ax.set_xlabel("training step")
    ax.set_ylabel("nats per example (mean over logging window)")
    ax.legend(fontsize=8)
    ax.set_title(title or "learning curves", fontsize=10)
    return fig


def run_figures(model, params, data, out, *, seed: int = 0) -> list[Path]:
    out = Path(out)
    paths = []
    fig = samples_figure(model, params, data, seed=seed)
    fig.savefig(out / "samples.png", dpi=110)
    paths.append(out / "samples.png")
    if (out / "metrics.jsonl").exists():
        curves_figure(out / "metrics.jsonl").savefig(out / "curves.png", dpi=110)
        paths.append(out / "curves.png")
    return paths


# -- experiments for the gallery: train, evaluate, draw -----------------------------------------
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


def train_and_evaluate(config, *, log=None):
    """Train ``config`` in a temporary directory; (model, params, data, evaluation dict)."""
    import sys
    import tempfile

    from ..neural import checkpoint as ckpt
    from ..neural import datasets as D
    from ..neural.train import build_model, train

    with tempfile.TemporaryDirectory() as tmp:
        run = train(config, Path(tmp) / "run", progress=False, figures=False)
        params = ckpt.load(Path(tmp) / "run" / "checkpoint.npz")[0].params
    data = D.load(config.dataset, seed=config.seed, n_train=config.n_train)
    print(f"  {config.dataset} {config.model} {config.method}: {run.steps} steps in {run.wall_time:.0f} s",
          file=log or sys.stderr, flush=True)
    return build_model(config, data), params, data, run.evaluation


def _metric_line(ev: dict) -> str:
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


def image_experiment(common: dict, runs, seed: int = 0, title: str = ""):
    """Rows: runs; columns: test data, decoder means from random codes, chain samples."""
    from ..neural.train import TrainConfig

    results = []
    for label, over in runs:
        model, params, data, ev = train_and_evaluate(TrainConfig(**{**common, **over, "seed": seed}))
        results.append((label, model, params, data, ev))
    fig, axes = new_figure(len(runs), 3, width=3.0, height=3.2)
    out = {"common": {k: list(v) if isinstance(v, tuple) else v for k, v in common.items()}, "runs": []}
    for r, (label, model, params, data, ev) in enumerate(results):
        panels = sample_panels(model, params, data, n=64, seed=seed)
        for c, (name, arr) in enumerate(panels.items()):
            ax = axes[r, c]
            ax.imshow(_grid(arr, data.image_shape, 8), cmap="gray_r", vmin=0, vmax=1, interpolation="nearest")
            ax.set_xticks([])
            ax.set_yticks([])
            ax.set_title(name if r == 0 or c else "", fontsize=9)
        axes[r, 0].set_ylabel(label, fontsize=9)
        axes[r, 1].set_xlabel(_metric_line(ev), fontsize=8)
        out["runs"].append({"label": label, "config": dict(runs[r][1]), "evaluation": ev})
    fig.suptitle(title, fontsize=10)
    return fig, out


def bars_experiment(seed: int = 0):
    return image_experiment(BARS_COMMON, BARS_RUNS, seed, "bars 3x3 (p = 1/2): test images, decoder means from "
                            "z ~ prior, reconstruction chain after 100 steps; metrics on held-out data")


def digits_experiment(seed: int = 0):
    return image_experiment(DIGITS_COMMON, DIGITS_RUNS, seed, "binarised 8x8 digits (scikit-learn): test images, "
                            "decoder means from z ~ prior, chain after 100 steps; exact log-likelihood (sum over 2^16 codes)")


def densities_experiment(seed: int = 0):
    """Rows: 2-D densities; columns: data, then decoder samples and chain samples per method."""
    from ..neural.train import TrainConfig

    fig, axes = new_figure(len(DENSITIES), 5, width=2.6, height=2.6)
    out = {"common": {k: list(v) if isinstance(v, tuple) else v for k, v in DENSITY_COMMON.items()}, "runs": []}
    for r, name in enumerate(DENSITIES):
        for m, method in enumerate(("symmetric", "elbo")):
            cfg = TrainConfig(**{**DENSITY_COMMON, "dataset": name, "method": method, "seed": seed})
            model, params, data, ev = train_and_evaluate(cfg)
            panels = list(sample_panels(model, params, data, n=2000, seed=seed).items())
            cols = [(0, panels[0])] if m == 0 else []
            cols += [(1 + 2 * m, panels[1]), (2 + 2 * m, panels[2])]
            lim = float(np.abs(np.asarray(data.x_test)).max() * 1.1)
            for c, (pname, arr) in cols:
                ax = axes[r, c]
                ax.scatter(arr[:, 0], arr[:, 1], s=0.5, alpha=0.4)
                ax.set_xlim(-lim, lim)
                ax.set_ylim(-lim, lim)
                ax.set_aspect("equal")
                ax.tick_params(labelsize=6)
                ax.set_title(("data" if c == 0 else f"{method}: {pname}") if r == 0 else "", fontsize=8)
            axes[r, 1 + 2 * m].set_xlabel(_metric_line(ev), fontsize=7)
            out["runs"].append({"dataset": name, "method": method, "evaluation": ev})
        axes[r, 0].set_ylabel(name, fontsize=9)
    fig.suptitle("2-D densities, Gaussian latents N(0, I_2), decoder N(f(z), 0.01 I): data, decoder samples from "
                 "z ~ prior, chain after 100 steps; IS log-likelihood (K=200), MMD² of chain vs test data", fontsize=9)
    return fig, out
