"""Jacobian spectra at equilibria in the complex plane."""
from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from ._base import new_figure


def plot_spectra(panels: dict, title: str = "Jacobian spectra at the equilibria") -> Figure:
    """``panels``: {game label: [(class label, eigenvalues, stable), ...]}; one complex plane per game."""
    n = len(panels)
    ncols = min(n, 3)
    nrows = -(-n // ncols)
    fig, axes = new_figure(nrows, ncols, width=4.6, height=3.8)
    markers = "oxs^vD"
    for ax, (game, classes) in zip(axes.flat, panels.items()):
        for i, (label, eig, stable) in enumerate(classes):
            eig = np.asarray(eig, complex)
            ax.plot(eig.real, eig.imag, markers[i % len(markers)], ms=6, mfc="none" if i % 2 == 0 else None,
                    label=f"{label} ({'stable' if stable else 'not stable'})")
        lim = max(0.05, 1.15 * max((float(np.abs(np.asarray(e).imag).max(initial=0.0)) for _, e, _ in classes),
                                   default=0.0))
        ax.set_ylim(-lim, lim)
        ax.axvline(0, color="0.4", lw=0.8)
        ax.axhline(0, color="0.8", lw=0.6)
        ax.set_xscale("symlog", linthresh=1e-2)
        ax.set_xlabel("Re eigenvalue (symlog)")
        ax.set_ylabel("Im eigenvalue")
        ax.set_title(game, fontsize=9)
        ax.legend(fontsize=7)
        ax.grid(True, alpha=0.3)
    for ax in list(axes.flat)[n:]:
        ax.set_visible(False)
    fig.suptitle(title)
    return fig
