"""Stochastic vs exact dynamics: the exact residual along stochastic runs (mean and spread over
seeds) against the exact (mean-field) trajectory with the same step-size schedule."""
from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from ._base import floored, new_figure


def plot_stochastic_vs_exact(exact, steps, residuals, title: str = "Stochastic vs exact dynamics") -> Figure:
    """``exact``: Trajectory; ``steps``: (n,) checkpoints; ``residuals``: (seeds, n) exact residuals of the
    stochastic runs at those steps."""
    fig, axes = new_figure(1, 1, width=6.5, height=4.5)
    ax = axes[0][0]
    r = np.asarray(residuals, float)
    x = np.asarray(steps) + 1
    lo, hi = np.quantile(r, 0.1, axis=0), np.quantile(r, 0.9, axis=0)
    ax.fill_between(x, floored(lo), floored(hi), color="tab:orange", alpha=0.3,
                    label=f"stochastic: 10-90% over {r.shape[0]} seeds")
    ax.plot(x, floored(r.mean(axis=0)), color="tab:orange", lw=1.5, label="stochastic: mean")
    ax.plot(exact.steps + 1, floored(exact.residual), color="k", lw=1.5, label="exact simultaneous (same schedule)")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("iteration + 1")
    ax.set_ylabel("exact residual |g|")
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8)
    fig.suptitle(title, fontsize=10)
    return fig
