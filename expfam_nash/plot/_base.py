"""Shared helpers: a fresh Agg-backed Figure (no pyplot, no global state) and a log-scale floor."""
from __future__ import annotations

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

#: values at or below this are drawn at the floor on log axes (the engine reports an exact 0 Nash gap)
FLOOR = 1e-16


def new_figure(nrows: int = 1, ncols: int = 1, width: float = 6.0, height: float = 4.0, **kw):
    """(Figure, axes array) with an Agg canvas attached, ``nrows x ncols`` panels of the given size."""
    fig = Figure(figsize=(width * ncols, height * nrows), layout="constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(nrows, ncols, squeeze=False, **kw)
    return fig, axes


def floored(values, floor: float = FLOOR) -> np.ndarray:
    """Values for a log axis: NaN stays NaN, everything else is at least ``floor``."""
    v = np.asarray(values, dtype=float)
    return np.where(np.isnan(v), np.nan, np.maximum(v, floor))


def mark_floor(ax, floor: float = FLOOR) -> None:
    """A thin dotted line at the floor, labelled, so exact zeros are not mistaken for data."""
    ax.axhline(floor, color="0.6", lw=0.8, ls=":")
    ax.annotate(f"floor {floor:.0e} (exact 0)", (0.99, floor), xycoords=("axes fraction", "data"),
                ha="right", va="bottom", fontsize=7, color="0.4")
