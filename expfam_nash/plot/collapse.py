"""Posterior-collapse figures, drawn from the data returned by ``expfam_nash.collapse.experiments``.

* ``plot_active_modes``: active modes against beta (CVAE sweep) or beta2 (HVAE sweep, per level and per
  Sigma2 variant), closed form (lines) against training (markers);
* ``plot_singular_values``: closed-form against trained decoder singular values (one panel per row of the
  correlation study or of a sweep's trained rows), with encoder standard deviations;
* ``plot_class_eigenvalues``: per digit class, the residual eigenvalues against the collapse level;
* ``plot_threshold_comparison``: the ELBO's thresholds along beta against the symmetric game's, with the
  game's certified per-mode verdicts.
"""
from __future__ import annotations

import numpy as np

from ._base import new_figure

__all__ = ["plot_active_modes", "plot_singular_values", "plot_class_eigenvalues", "plot_threshold_comparison"]


def _trained_rows(rows):
    return [r for r in rows if "trained" in r]


def _cvae_active(ax, data: dict) -> None:
    rows = data["rows"]
    betas = [r["beta"] for r in rows]
    ax.plot(betas, [r["theory_active"] for r in rows], "-o", color="C0", ms=3, label="closed form")
    tr = _trained_rows(rows)
    if tr:
        ax.plot([r["beta"] for r in tr], [r["trained"]["active"] for r in tr], "s", mfc="none", color="C3", ms=8,
                label="trained (Adam)")
    ax.set_xscale("log")
    ax.set_xlabel("beta")
    ax.set_ylabel(f"active modes (of {data['latent_dim']})")
    what = "synthetic data" if data["dataset"] == "synthetic" else f"{data['dataset']} quarters"
    trained = f"trained {data['train_epochs']} epochs" if data.get("train_epochs") else "closed form only"
    ax.set_title(f"CVAE on {what} ({data['dim_x']} + {data['dim_y']} dims); {trained}", fontsize=9, loc="left")
    ax.legend(fontsize=8)


def _hvae_active(ax, data: dict) -> None:
    for i, var in enumerate(data["variants"]):
        rows = var["rows"]
        label = "Sigma2 learned" if var["sigma2"] == "learned" else f"sigma2 = {var['sigma2']}"
        b2 = [r["beta2"] for r in rows]
        for level, ls in ((0, "-"), (1, "--")):          # decreasing widths: coinciding curves stay visible
            ax.plot(b2, [r["theory_active"][level] for r in rows], ls, color=f"C{i}", marker="o", ms=3, lw=4 - 1.3 * i,
                    alpha=0.8, label=f"{label}, level {level + 1}")
        for r in _trained_rows(rows):
            for level, mk in ((0, "s"), (1, "^")):
                ax.plot(r["beta2"], r["trained"]["active"][level], mk, mfc="none", color=f"C{i}", ms=8)
    ax.set_xscale("log")
    ax.set_xlabel("beta2")
    ax.set_ylabel("active modes")
    trained = f"open markers: trained {data['train_epochs']} epochs" if data.get("train_epochs") else "closed form"
    ax.set_title(f"HVAE on {data['dataset']} (d1, d2 = {tuple(data['latent_dims'])}); {trained}", fontsize=9, loc="left")
    ax.legend(fontsize=7, ncol=2)


def plot_active_modes(*datasets: dict, fig_axes=None):
    """One panel per experiment dict (``synthetic_beta_sweep``, ``image_cvae_sweep`` or ``hvae_beta2_sweep`` output)."""
    fig, axes = fig_axes or new_figure(1, len(datasets), width=5.0, height=3.8)
    for ax, data in zip(np.ravel(axes), datasets):
        (_hvae_active if data["experiment"] == "hvae_beta2" else _cvae_active)(ax, data)
    return fig


def _flat(values) -> np.ndarray:
    """Decoder singular values of one level (the first for a pair)."""
    arr = values[0] if values and isinstance(values[0], list) else values
    return np.sort(np.asarray(arr, float))[::-1]


def plot_singular_values(data: dict, fig_axes=None):
    """Closed form (bars) against trained (markers) decoder singular values per row that was trained."""
    rows = _trained_rows(data["rows"])
    fig, axes = fig_axes or new_figure(1, max(1, len(rows)), width=2.6, height=3.2, sharey=True)
    for ax, row in zip(np.ravel(axes), rows):
        th = _flat(row["trained"]["theory_decoder_singular_values"])
        got = _flat(row["trained"]["decoder_singular_values"])
        k = np.arange(th.size)
        ax.bar(k, th, color="C0", alpha=0.5, label="closed form")
        ax.plot(k, got, "o", color="C3", ms=4, label="trained")
        key = next(n for n in ("rho", "beta", "beta2") if n in row)
        ax.set_title(f"{key} = {row[key]:g}: active {row['trained']['theory_active']} (theory), "
                     f"{row['trained']['active']} (trained)", fontsize=8)
        ax.set_xlabel("mode")
    np.ravel(axes)[0].set_ylabel("decoder singular value")
    np.ravel(axes)[0].legend(fontsize=7)
    return fig


def plot_class_eigenvalues(data: dict, fig_axes=None):
    """Per class: residual eigenvalues (log scale) and the collapse level beta eta_dec^2."""
    fig, axes = fig_axes or new_figure(1, 1, width=7.0, height=4.0)
    ax = np.ravel(axes)[0]
    for row in data["rows"]:
        ev = np.asarray(row["eigenvalues"], float)
        ev = ev[ev > 0]
        ax.semilogy(np.arange(1, ev.size + 1), ev, "-", lw=1, label=f"{row['label']} ({row['active']} active)")
    ax.axhline(data["collapse_level"], color="k", ls="--", lw=1)
    ax.annotate(f"collapse level beta eta_dec^2 = {data['collapse_level']:g}", (0.99, data["collapse_level"]),
                xycoords=("axes fraction", "data"), ha="right", va="bottom", fontsize=8)
    ax.set_xlabel("mode")
    ax.set_ylabel("eigenvalue of E (residual of y given x)")
    ax.set_title(f"Per-class residual eigenvalues, {data['dataset']} quarters", fontsize=9, loc="left")
    ax.legend(fontsize=7, ncol=2, title="class (active modes)", title_fontsize=7)
    return fig


_VERDICT_STYLE = {"collapsed": ("o", "none"), "active": ("o", "full"), "undecided": ("x", "full")}


def _verdict_markers(ax, x: float, grid, verdicts, color: str) -> None:
    for lam, v in zip(grid, verdicts):
        mk, fill = _VERDICT_STYLE[v]
        ax.plot([x], [lam], mk, color=color, mfc="none" if fill == "none" else color, ms=5)


def _threshold_panel(ax, panel: dict, level: int | None = None) -> None:
    xs = panel["betas"] if panel["model"] == "vae" else panel["beta2s"]
    elbo = panel["elbo_threshold"] if level is None else [t[level] for t in panel["elbo_threshold"]]
    game = panel["game_threshold"] if level is None else panel["game_threshold"][level]
    verdicts = panel["game_verdicts"] if level is None else [v[level] for v in panel["game_verdicts"]]
    color = "C0" if level in (None, 0) else "C1"
    tag = "" if level is None else f"level {level + 1}: "
    finite = np.isfinite(elbo)
    ax.plot(np.asarray(xs)[finite], np.asarray(elbo)[finite], "-", color=color, label=f"{tag}ELBO threshold")
    if np.isfinite(game):
        ax.axhline(game, color=color, ls="--", label=f"{tag}game threshold (no beta)")
    _verdict_markers(ax, 1.0 if level is None else 1.0 * (1.12 if level else 0.89), panel["grid"], verdicts, color)


def plot_threshold_comparison(data: dict, fig_axes=None):
    """ELBO thresholds along beta (beta2) against the game's, with the game's certified per-mode verdicts on an
    eigenvalue grid at beta = 1 (filled: active, open: collapsed, x: undecided)."""
    fig, axes = fig_axes or new_figure(1, 4, width=4.2, height=3.6)
    axes = np.ravel(axes)
    for ax, panel in zip(axes[:2], data["vae"]):
        _threshold_panel(ax, panel)
        var = panel["encoder_var"]
        ax.set_title(f"VAE / CVAE, encoder variance {var}", fontsize=9, loc="left")
        ax.set_xlabel("beta")
    for ax, panel in zip(axes[2:], data["hvae"]):
        for level in (0, 1):
            _threshold_panel(ax, panel, level)
        ax.set_title(f"HVAE, sigma1 = {panel['sigma1']}, Sigma2 {panel['sigma2']}", fontsize=9, loc="left")
        ax.set_xlabel("beta2 (beta1 = 1)")
    for ax in axes:
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_ylabel("data eigenvalue")
        ax.legend(fontsize=6)
    return fig
