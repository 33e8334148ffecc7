"""Figures: drawing functions that take arrays, trajectories and verdicts and return matplotlib
``Figure`` objects (Agg canvas, no pyplot state). Drawing only: what is drawn is computed by
:mod:`expfam_nash.experiments`."""
from ._base import new_figure
from .bifurcation import plot_bifurcation
from .consistency import plot_consistency
from .convergence import plot_convergence
from .escape import plot_escape
from .phase import plot_phase_portrait
from .spectra import plot_spectra
from .stochastic import plot_stochastic_vs_exact
from .uniqueness import plot_uniqueness_map, verdict_category

__all__ = ["new_figure", "plot_convergence", "plot_escape", "plot_bifurcation", "plot_phase_portrait", "plot_spectra",
           "plot_stochastic_vs_exact", "plot_uniqueness_map", "verdict_category", "plot_consistency"]
