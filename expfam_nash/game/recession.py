"""Exact certificate that a finite player's supremum is not attained (a recession direction).

A player's own utility is U(theta) = sum_r w_r [<T(y_r), theta psi_r> - A(theta psi_r)] - rho/2 |theta_pen|^2
over weighted pairs r = (y_r, psi_r). Along theta + s D its slope tends to
sum_r w_r [<T(y_r), D psi_r> - max_y <T(y), D psi_r>] <= 0. The supremum is approached only at
infinity iff some D (zero on penalised coordinates when rho > 0) makes every term vanish while
D psi_r != 0 for some r: each observed y_r maximises the linear score <T(y), D psi_r> over the
support (for Bernoulli: logistic-regression separability, coordinate by coordinate). Finding
such a D is a linear programme:

    maximise sum_r a_r . D   subject to   a_r . D >= 0 for all constraint rows a_r,  -1 <= D <= 1,

with rows a_r from the family's ``recession_blocks`` hook: (T(y_r) - T(y')) (x) psi_r for every other
support point y' (any finite family); a family may split the LP into independent blocks (Bernoulli:
(2 y_rc - 1) psi_r per coordinate c). A positive optimum is a certificate (the returned D).
"""
from __future__ import annotations

import numpy as np
from scipy.optimize import linprog

from ..families.base import MAX_LP_ROWS, NotDecided

__all__ = ["recession_direction", "NotDecided", "MAX_LP_ROWS"]


def _lp_direction(rows: np.ndarray, free: np.ndarray) -> np.ndarray | None:
    """max sum(rows) . D s.t. rows D >= 0, |D| <= 1, D = 0 off ``free``; None if optimum ~ 0."""
    if rows.shape[0] == 0 or not free.any():
        return None
    a = np.unique(rows[:, free], axis=0)
    a = a[np.any(a != 0, axis=1)]
    if a.shape[0] == 0:
        return None
    scale = np.abs(a).max()
    res = linprog(-a.sum(0) / scale, A_ub=-a / scale, b_ub=np.zeros(a.shape[0]),
                  bounds=[(-1, 1)] * int(free.sum()), method="highs")
    if res.status != 0 or -res.fun <= 1e-9:
        return None
    out = np.zeros(free.size)
    out[free] = res.x
    return out


def recession_direction(family, y_stats: np.ndarray, feats: np.ndarray, free: np.ndarray) -> np.ndarray | None:
    """A direction D (shape of theta) along which the supremum escapes, or None if there is none
    (then every best response of this player is attained).

    ``y_stats``: T(y_r) for each weighted pair (positive weight), ``feats``: psi_r, ``free``: the
    coordinates D may use (mask, minus penalised entries when rho > 0). Raises ``NotDecided`` for
    families without a finite support and for LPs above ``MAX_LP_ROWS`` rows."""
    m, k = free.shape
    out = np.zeros((m, k))
    found = False
    for rows_of_theta, constraints in family.recession_blocks(y_stats, feats):
        d = _lp_direction(constraints, free[rows_of_theta].ravel())
        if d is not None:
            out[rows_of_theta] = d.reshape(len(rows_of_theta), k)
            found = True
    return out if found else None
