"""Uniqueness map: the verdict of ``verify`` over a grid of (alpha, rho)."""
from __future__ import annotations

import numpy as np
from matplotlib.colors import ListedColormap
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from ._base import new_figure

CATEGORIES = ("unique", "one class, uniqueness undecided", "not unique", "continuum", "escape", "none certified")
UNIQUENESS_TITLE = ("verify (6 starts) over labelled weight alpha x L2 penalty rho: certified classes (cl), "
                    "undecided runs (und), certified escapes (esc)")
COLORS = ("tab:green", "yellowgreen", "tab:orange", "tab:purple", "tab:red", "0.7")


def verdict_category(verdict) -> str:
    """One label for a ``VerifyResult``, from its certified verdicts: escape (a run certified to
    escape, or a recession certificate), continuum (certified), unique (certified by a global
    argument), not unique (two classes certified distinct), one class with uniqueness undecided
    (evidence only), none certified."""
    if verdict.escaped or verdict.nonexistence:
        return "escape"
    if verdict.continuum:
        return "continuum"
    if verdict.unique:
        return "unique"
    if verdict.verdicts["uniqueness"].status.value == "refuted":
        return "not unique"
    return "one class, uniqueness undecided" if verdict.classes else "none certified"


def cell_text(classes, undecided, escaped) -> str:
    """A map cell's text: certified classes (cl), undecided runs (und), certified escapes (esc)."""
    return f"{classes} cl, {undecided} und\n{escaped} esc"


def plot_uniqueness_map(panels: dict, title: str = "Verdict of verify over (alpha, rho)") -> Figure:
    """``panels``: {game label: {alphas, rhos, category [i_rho][i_alpha], text [i_rho][i_alpha]}}."""
    fig, axes = new_figure(1, len(panels), width=5.2, height=4.4)
    cmap = ListedColormap(COLORS)
    for ax, (game, p) in zip(axes[0], panels.items()):
        codes = np.array([[CATEGORIES.index(c) for c in row] for row in p["category"]])
        ax.imshow(codes, cmap=cmap, vmin=-0.5, vmax=len(CATEGORIES) - 0.5, origin="lower", aspect="auto")
        for i in range(codes.shape[0]):
            for j in range(codes.shape[1]):
                ax.text(j, i, p["text"][i][j], ha="center", va="center", fontsize=7)
        ax.set_xticks(range(len(p["alphas"])), [f"{a:g}" for a in p["alphas"]])
        ax.set_yticks(range(len(p["rhos"])), [f"{r:g}" for r in p["rhos"]])
        ax.set_xlabel("labelled weight alpha")
        ax.set_ylabel("L2 penalty rho")
        ax.set_title(game, fontsize=9)
    fig.legend(handles=[Patch(color=c, label=k) for k, c in zip(CATEGORIES, COLORS)], loc="outside lower center",
               ncols=len(CATEGORIES), fontsize=8)
    fig.suptitle(title)
    return fig
