"""Figures of a training run: sample grids (data, decoder from random codes, the reconstruction
chain) and learning curves; image grids and scatter grids of several runs. Drawing only: the
arrays come from :mod:`expfam_nash.experiments.neural`."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from ._base import new_figure


def image_grid(images: np.ndarray, shape: tuple[int, int], cols: int) -> np.ndarray:
    """Tile (n, h*w) images into one array with one-pixel gaps (NaN, drawn white)."""
    h, w = shape
    rows = int(np.ceil(len(images) / cols))
    out = np.full((rows * (h + 1) - 1, cols * (w + 1) - 1), np.nan)
    for i, img in enumerate(images):
        r, c = divmod(i, cols)
        out[r * (h + 1): r * (h + 1) + h, c * (w + 1): c * (w + 1) + w] = img.reshape(h, w)
    return out


def draw_panel(ax, arr: np.ndarray, image_shape, lim: float | None = None, point_size: float = 1.0) -> None:
    """One panel: a grid of images (``image_shape``), or a scatter plot of 2-D points within +-lim."""
    if image_shape:
        ax.imshow(image_grid(arr, image_shape, 8), cmap="gray_r", vmin=0, vmax=1, interpolation="nearest")
        ax.set_xticks([])
        ax.set_yticks([])
        return
    ax.scatter(arr[:, 0], arr[:, 1], s=point_size, alpha=0.4)
    ax.set_xlim(-lim, lim)
    ax.set_ylim(-lim, lim)
    ax.set_aspect("equal")


def samples_figure(panels: dict, image_shape, lim: float | None = None, title: str = ""):
    """``panels``: {name: array} (data, random codes, chain samples) side by side."""
    fig, axes = new_figure(1, 3, width=3.6, height=3.6)
    for ax, (name, arr) in zip(axes[0], panels.items()):
        draw_panel(ax, arr, image_shape, lim)
        if not image_shape:
            ax.set_xlabel("x1")
            ax.set_ylabel("x2")
        ax.set_title(name, fontsize=10)
    fig.suptitle(title, fontsize=10)
    return fig


def curves_figure(metrics_path, title: str = ""):
    rows = [json.loads(line) for line in Path(metrics_path).read_text().splitlines() if line.strip()]
    fig, axes = new_figure(1, 1, width=6, height=3.6)
    ax = axes[0, 0]
    steps = np.array([r["step"] for r in rows])
    for key, label in (("decoder_ll", "decoder: mean log p(x, z | .) on (data, z~q)"),
                       ("encoder_ll", "encoder: mean log q(z|x) on (z~prior, x~p)"),
                       ("elbo", "ELBO estimate")):
        vals = np.array([r.get(key, np.nan) for r in rows], dtype=float)
        if np.isfinite(vals).any():
            ax.plot(steps, vals, label=label, lw=1)
    ax.set_xlabel("training step")
    ax.set_ylabel("nats per example (mean over logging window)")
    ax.legend(fontsize=8)
    ax.set_title(title or "learning curves", fontsize=10)
    return fig




def runs_figure(rows: list, image_shape, title: str = ""):
    """Rows: (label, panels {name: images}, metric line) per run; columns: the panels."""
    fig, axes = new_figure(len(rows), 3, width=3.0, height=3.2)
    for r, (label, panels, metrics) in enumerate(rows):
        for c, (name, arr) in enumerate(panels.items()):
            draw_panel(axes[r, c], arr, image_shape)
            axes[r, c].set_title(name if r == 0 or c else "", fontsize=9)
        axes[r, 0].set_ylabel(label, fontsize=9)
        axes[r, 1].set_xlabel(metrics, fontsize=8)
    fig.suptitle(title, fontsize=10)
    return fig


def densities_figure(rows: list, title: str = ""):
    """Rows: (dataset name, axis limit, [(method, panels, metric line)] for two methods); columns:
    the data, then decoder samples and chain samples per method."""
    fig, axes = new_figure(len(rows), 5, width=2.6, height=2.6)
    for r, (name, lim, runs) in enumerate(rows):
        for m, (method, panels, metrics) in enumerate(runs):
            items = list(panels.items())
            cols = [(0, items[0])] if m == 0 else []
            cols += [(1 + 2 * m, items[1]), (2 + 2 * m, items[2])]
            for c, (pname, arr) in cols:
                ax = axes[r, c]
                draw_panel(ax, arr, None, lim, point_size=0.5)
                ax.tick_params(labelsize=6)
                ax.set_title(("data" if c == 0 else f"{method}: {pname}") if r == 0 else "", fontsize=8)
            axes[r, 1 + 2 * m].set_xlabel(metrics, fontsize=7)
        axes[r, 0].set_ylabel(name, fontsize=9)
    fig.suptitle(title, fontsize=9)
    return fig
