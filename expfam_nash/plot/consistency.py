"""Encoder-decoder consistency: joint gap and stationary gap of the reconstruction chain, along
training and across equilibria."""
from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from ._base import floored, mark_floor, new_figure

KEYS = (("joint_gap", "TV(J_q, J_p)"), ("stationary_gap", "TV(pi, stationary of K)"),
        ("bound", "bound 2 TV(J) / (1 - tau)"))


def plot_consistency(along: dict, equilibria: list[dict],
                     title: str = "Encoder-decoder consistency") -> Figure:
    """``along``: {game label: {steps, KEYS...}} recorded along training (colour per game, line style per
    quantity); ``equilibria``: dicts with ``label`` and KEYS (bars)."""
    fig, axes = new_figure(1, 2, width=6.0, height=4.6)
    ax_t, ax_e = axes[0]
    styles = {"joint_gap": "-", "stationary_gap": ":", "bound": "--"}
    for n, (game, rec) in enumerate(along.items()):
        x = np.asarray(rec["steps"]) + 1
        for key, label in KEYS:
            ax_t.plot(x, floored(rec[key]), styles[key], color=f"C{n + 3}", lw=1.5, label=f"{game}: {label}")
    ax_t.set_xscale("log")
    ax_t.set_yscale("log")
    ax_t.set_xlabel("iteration + 1")
    ax_t.set_ylabel("total variation")
    ax_t.set_title("along simultaneous training", fontsize=9)
    ax_t.legend(fontsize=7)
    mark_floor(ax_t)
    width = 0.27
    pos = np.arange(len(equilibria))
    for i, (key, label) in enumerate(KEYS):
        ax_e.bar(pos + (i - 1) * width, floored([e[key] for e in equilibria]), width, label=label)
    ax_e.set_yscale("log")
    ax_e.set_xticks(pos, [e["label"] for e in equilibria], fontsize=7, rotation=20, ha="right")
    ax_e.set_ylabel("total variation")
    ax_e.set_xlabel("equilibrium class (game #class; coll. = collapsed)")
    ax_e.set_title("across equilibria (classes found by verify)", fontsize=9)
    ax_e.legend(fontsize=7, loc="center left")
    mark_floor(ax_e)
    for ax in (ax_t, ax_e):
        ax.grid(True, alpha=0.3)
    fig.suptitle(title)
    return fig
