"""Figures: plotting functions that take trajectories, solve results and verdicts and return
matplotlib ``Figure`` objects (Agg canvas, no pyplot state), and the gallery registry behind
``expfam-nash figures``."""
from .bifurcation import plot_bifurcation
from .consistency import plot_consistency
from .convergence import plot_convergence
from .escape import plot_escape
from .phase import plot_phase_portrait
from .spectra import plot_spectra
from .stochastic import plot_stochastic_vs_exact
from .uniqueness import plot_uniqueness_map, verdict_category

__all__ = ["plot_convergence", "plot_escape", "plot_bifurcation", "plot_phase_portrait", "plot_spectra",
           "plot_stochastic_vs_exact", "plot_uniqueness_map", "verdict_category", "plot_consistency"]
