"""Bifurcation diagram of the one-direction linear-Gaussian pair: reconstruction gain against a
control parameter; closed-form branches as curves (stable solid, unstable dashed), numerically
found equilibria as points."""
from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from ._base import new_figure


def _segments(x, y, stable):
    """Split a branch into runs of constant stability (NaN where it does not exist)."""
    x, y, stable = np.asarray(x), np.asarray(y, float), np.asarray(stable, bool)
    out, start = [], 0
    for i in range(1, len(x) + 1):
        if i == len(x) or stable[i] != stable[start] or np.isnan(y[i]) != np.isnan(y[start]):
            if not np.isnan(y[start]):
                out.append((x[start:i], y[start:i], bool(stable[start])))
            start = i
    return out


def plot_bifurcation(panels: list[dict], title: str = "Equilibrium gain vs control parameter") -> Figure:
    """``panels``: dicts with ``xlabel``, ``subtitle``, ``x`` (grid), ``branches`` {name: {gain, stable}}
    (arrays over x, NaN where the branch does not exist), ``points`` list of (x, gain, stable) and an
    optional ``threshold`` (x value)."""
    fig, axes = new_figure(1, len(panels), width=5.5)
    colors = {"collapsed": "tab:blue", "nontrivial": "tab:red"}
    for ax, panel in zip(axes[0], panels):
        for name, br in panel["branches"].items():
            for xs, ys, st in _segments(panel["x"], br["gain"], br["stable"]):
                ax.plot(xs, ys, "-" if st else "--", color=colors.get(name, "k"), lw=2 if st else 1.5)
        pts = panel.get("points", [])
        if pts:
            px, pg, ps = (np.array(v) for v in zip(*pts))
            ps = ps.astype(bool)
            ax.plot(px[ps], pg[ps], "o", color="k", ms=5)
            ax.plot(px[~ps], pg[~ps], "o", mfc="white", mec="k", ms=5)
        if panel.get("threshold") is not None:
            ax.axvline(panel["threshold"], color="0.5", lw=0.8, ls=":")
        ax.set_xlabel(panel["xlabel"])
        ax.set_ylabel("reconstruction gain w v")
        ax.set_title(panel.get("subtitle", ""), fontsize=10)
        ax.grid(True, alpha=0.3)
    handles = [Line2D([], [], color="tab:blue", label="collapsed (w = v = 0)"),
               Line2D([], [], color="tab:red", label="nontrivial (+-w)"),
               Line2D([], [], color="k", ls="-", label="stable (closed form)"),
               Line2D([], [], color="k", ls="--", label="unstable (closed form)"),
               Line2D([], [], marker="o", ls="", color="k", label="verify: stable"),
               Line2D([], [], marker="o", ls="", mfc="white", mec="k", label="verify: unstable")]
    axes[0][0].legend(handles=handles, fontsize=7, loc="upper left")
    fig.suptitle(title)
    return fig
