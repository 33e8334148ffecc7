"""Residual and Nash gap against iterations, one line per algorithm (log scales)."""
from __future__ import annotations

from matplotlib.figure import Figure

from ._base import floored, mark_floor, new_figure


def plot_convergence(trajectories: dict, title: str = "Convergence of the equilibrium dynamics",
                     fig_axes=None) -> Figure:
    """``trajectories``: {label: Trajectory}. Left: |pseudo-gradient| per iteration; right: Nash gap
    at the recorded checkpoints. Both on log-log axes (iteration + 1 on x)."""
    fig, axes = new_figure(1, 2) if fig_axes is None else fig_axes
    ax_r, ax_g = axes[0][0], axes[0][1]
    for label, tr in trajectories.items():
        line, = ax_r.plot(tr.steps + 1, floored(tr.residual), lw=1.2, label=label)
        if tr.nash_gap.size:
            ax_g.plot(tr.gap_steps + 1, floored(tr.nash_gap), "o-", ms=3, lw=1, color=line.get_color(), label=label)
    for ax, name in ((ax_r, "residual |g| (pseudo-gradient norm)"), (ax_g, "Nash gap")):
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("iteration + 1")
        ax.set_ylabel(name)
        ax.grid(True, which="major", alpha=0.3)
        mark_floor(ax)
    ax_g.legend(fontsize=8, loc="center left", bbox_to_anchor=(1.02, 0.5))
    if fig_axes is None:
        fig.suptitle(title)
    return fig
