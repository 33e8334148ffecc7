"""Experiments: the figure definitions (train, solve, verify, measure) behind ``expfam-nash figures``,
registered in ``FIGURES``; :mod:`expfam_nash.plot` only draws what they compute. Figures of layers
above (the sweep layer's ``uniqueness_map``) register from ``figures.FIGURE_MODULES`` (:func:`load`)."""
from . import collapse, equilibria, games, introvae, neural  # noqa: F401  (each registers its figures)
from .figures import FIGURE_MODULES, FIGURES, MissingInputs, load, make, missing_extras, write

__all__ = ["FIGURES", "FIGURE_MODULES", "MissingInputs", "load", "make", "missing_extras", "write"]
