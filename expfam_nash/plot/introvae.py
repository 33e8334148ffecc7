"""Figures of the Soft-IntroVAE benchmark (arrays in, Figure out; the numbers come from
:mod:`expfam_nash.experiments.introvae`): generated samples over the data per dataset and method,
the prior's components over the aggregate posterior, and the metrics with standard errors."""
from __future__ import annotations

import numpy as np
from matplotlib.patches import Ellipse

from ._base import new_figure


def _grid(rows: list[str], cols: list[str], size: float = 2.4):
    fig, axes = new_figure(len(rows), len(cols), width=size, height=size)
    for i, r in enumerate(rows):
        for j, c in enumerate(cols):
            ax = axes[i, j]
            ax.set_xticks([])
            ax.set_yticks([])
            if i == 0:
                ax.set_title(c, fontsize=9)
            if j == 0:
                ax.set_ylabel(r, fontsize=9)
    return fig, axes


def _empty(ax, text: str) -> None:
    ax.text(0.5, 0.5, text, ha="center", va="center", fontsize=8, color="0.5", transform=ax.transAxes)


def plot_samples(datasets: list[str], methods: list[str], panels: dict, title: str = ""):
    """``panels``: {(dataset, method): {data (n, 2), generated (n, 2), limit, text}}; a missing
    panel is drawn empty with 'no finished run'."""
    fig, axes = _grid(datasets, methods)
    for i, ds in enumerate(datasets):
        for j, m in enumerate(methods):
            ax, p = axes[i, j], panels.get((ds, m))
            if p is None:
                _empty(ax, "no finished run")
                continue
            lim = p["limit"]
            ax.scatter(p["generated"][:, 0], p["generated"][:, 1], s=0.3, color="tab:blue", alpha=0.5,
                       rasterized=True)
            ax.scatter(p["data"][:, 0], p["data"][:, 1], s=0.2, color="tab:orange", alpha=0.3, rasterized=True)
            ax.set_xlim(-lim, lim)
            ax.set_ylim(-lim, lim)
            ax.set_aspect("equal")
            ax.text(0.02, 0.02, p["text"], fontsize=7, transform=ax.transAxes, va="bottom")
    fig.suptitle(title, fontsize=10)
    return fig


def plot_priors(datasets: list[str], methods: list[str], panels: dict, title: str = ""):
    """``panels``: {(dataset, method): {latent (n, d) encoder means of data, means (K, d), logvars
    (K, d), weights (K,)}}: the latent points and each component's 2-standard-deviation ellipse
    (first two latent coordinates), its opacity proportional to its weight."""
    fig, axes = _grid(datasets, methods)
    for i, ds in enumerate(datasets):
        for j, m in enumerate(methods):
            ax, p = axes[i, j], panels.get((ds, m))
            if p is None:
                _empty(ax, "no finished run")
                continue
            z = p["latent"]
            ax.scatter(z[:, 0], z[:, 1], s=0.3, color="tab:blue", alpha=0.4, rasterized=True)
            w = np.asarray(p["weights"], dtype=float)
            for mu, lv, wk in zip(p["means"], p["logvars"], w / w.max()):
                sd = np.exp(0.5 * np.asarray(lv[:2], dtype=float))
                ax.add_patch(Ellipse(mu[:2], 4 * sd[0], 4 * sd[1], fill=False, color="tab:red",
                                     alpha=float(0.15 + 0.85 * wk), lw=0.8))
            span = max(3.0, float(np.nanmax(np.abs(z[:, :2]))) * 1.1 if len(z) else 3.0)
            ax.set_xlim(-span, span)
            ax.set_ylim(-span, span)
            ax.set_aspect("equal")
            ax.text(0.02, 0.02, f"K={len(w)}", fontsize=7, transform=ax.transAxes, va="bottom")
    fig.suptitle(title, fontsize=10)
    return fig


def plot_metric_bars(metrics: list[str], datasets: list[str], methods: list[str], table: dict, title: str = ""):
    """``table``: {(dataset, method): {METRIC_mean, METRIC_se, n}}: per metric, grouped bars (one
    group per dataset, one bar per method) with standard-error whiskers where a standard error exists
    (n >= 2 seeds), on a log axis."""
    fig, axes = new_figure(1, len(metrics), width=5.0, height=3.6)
    width = 0.8 / max(len(methods), 1)
    x = np.arange(len(datasets))
    for ax, metric in zip(axes[0], metrics):
        for k, m in enumerate(methods):
            rows = [table.get((ds, m), {}) for ds in datasets]
            mean = np.array([r.get(f"{metric}_mean", np.nan) for r in rows], dtype=float)
            se = np.array([r.get(f"{metric}_se", np.nan) for r in rows], dtype=float)
            pos = x + (k - (len(methods) - 1) / 2) * width
            ax.bar(pos, mean, width, label=m)
            has = np.isfinite(mean) & np.isfinite(se)      # one seed: no standard error, no whisker (not a 0)
            if has.any():
                ax.errorbar(pos[has], mean[has], yerr=se[has], fmt="none", ecolor="black", capsize=2, lw=1)
        ax.set_xticks(x, datasets, fontsize=8)
        ax.set_yscale("log")
        ax.set_title(metric, fontsize=10)
    handles, labels = axes[0, 0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncols=len(methods), fontsize=8)
    fig.suptitle(title, fontsize=10)
    return fig
