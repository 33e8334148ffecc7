"""Phase portrait of a two-parameter slice of a game's pseudo-gradient field."""
from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from ._base import new_figure


def plot_phase_portrait(w, v, dw, dv, equilibria: list[dict], paths: list[np.ndarray] = (),
                        title: str = "Phase portrait", xlabel: str = "decoder weight w",
                        ylabel: str = "encoder weight v") -> Figure:
    """``dw``, ``dv``: field on the grid ``w`` x ``v`` (arrays indexed [iv, iw]); ``equilibria``: dicts
    with w, v, stable, label; ``paths``: (n, 2) arrays of trajectories drawn on top."""
    fig, axes = new_figure(1, 1, width=6.5, height=5.5)
    ax = axes[0][0]
    speed = np.hypot(dw, dv)
    logs = np.log10(speed + 1e-12)
    lo, hi = np.quantile(logs, [0.02, 0.98])
    strm = ax.streamplot(np.asarray(w), np.asarray(v), dw, dv, color=np.clip(logs, lo, hi), cmap="viridis",
                         density=1.3, linewidth=0.8, arrowsize=0.9)
    fig.colorbar(strm.lines, ax=ax, label="log10 |g(w, v)| (clipped to 2-98% range)")
    for path in paths:
        ax.plot(path[:, 0], path[:, 1], "-", color="tab:orange", lw=1.3)
        ax.plot(path[0, 0], path[0, 1], "s", color="tab:orange", ms=4)
    seen = set()
    for eq in equilibria:
        kind = "stable" if eq["stable"] else "unstable (saddle)"
        ax.plot(eq["w"], eq["v"], "o", ms=10, mec="k", mew=1.5, mfc="k" if eq["stable"] else "white",
                label=None if kind in seen else f"equilibrium: {kind}", zorder=5)
        seen.add(kind)
    if paths:
        ax.plot([], [], "-", color="tab:orange", label="simultaneous ascent from a start (square)")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_xlim(np.min(w), np.max(w))
    ax.set_ylim(np.min(v), np.max(v))
    ax.legend(fontsize=8, loc="upper left")
    fig.suptitle(title, fontsize=10)
    return fig
