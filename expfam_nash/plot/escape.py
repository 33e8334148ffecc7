"""Escape to infinity: parameter norm (and residual) against log iterations."""
from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from ._base import floored, new_figure


def plot_escape(trajectories: dict, title: str = "Escape to infinity vs convergence") -> Figure:
    """``trajectories``: {label: Trajectory}. Left: |params| against iteration + 1 on a log x axis (an
    escaping run grows like a straight line there, i.e. like log t); right: the residual."""
    fig, axes = new_figure(1, 2)
    ax_n, ax_r = axes[0]
    for label, tr in trajectories.items():
        x = tr.steps + 1
        line, = ax_n.plot(x, tr.param_norm, lw=1.5, label=label)
        ax_r.plot(x, floored(tr.residual), lw=1.2, color=line.get_color(), label=label)
        tail = x >= max(2, x[-1] // 10)
        if tail.sum() > 2:
            slope = np.polyfit(np.log(x[tail]), tr.param_norm[tail], 1)[0]
            ax_n.annotate(f"slope {slope:.2f} per e-fold", (x[-1], tr.param_norm[-1]), textcoords="offset points",
                          xytext=(-8, -4), ha="right", va="top", fontsize=8, color=line.get_color())
    ax_n.set_xscale("log")
    ax_n.set_xlabel("iteration + 1 (log scale)")
    ax_n.set_ylabel("|params| (Euclidean norm of theta, phi)")
    ax_r.set_xscale("log")
    ax_r.set_yscale("log")
    ax_r.set_xlabel("iteration + 1 (log scale)")
    ax_r.set_ylabel("residual |g|")
    for ax in axes[0]:
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize=8)
    fig.suptitle(title)
    return fig
