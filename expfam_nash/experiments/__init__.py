"""Experiments: the figure definitions (train, solve, verify, measure) behind ``expfam-nash figures``,
registered in ``FIGURES``; :mod:`expfam_nash.plot` only draws what they compute."""
from . import collapse, equilibria, games, neural  # noqa: F401  (each registers its figures)
from .figures import FIGURES, make, missing_extras, write

__all__ = ["FIGURES", "make", "missing_extras", "write"]
