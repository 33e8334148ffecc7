"""Exact certificate that a finite player's supremum is not attained (a recession direction).

A player's own utility is U(theta) = sum_r w_r [<T(y_r), theta psi_r> - A(theta psi_r)] - rho/2 |theta_pen|^2
over weighted pairs r = (y_r, psi_r). Along theta + s D its slope tends to
sum_r w_r [<T(y_r), D psi_r> - max_y <T(y), D psi_r>] <= 0. The supremum is approached only at
infinity iff some D (zero on penalised coordinates when rho > 0) makes every term vanish while
D psi_r != 0 for some r: each observed y_r maximises the linear score <T(y), D psi_r> over the
support (for Bernoulli: logistic-regression separability, coordinate by coordinate). Finding
such a D is a linear programme:

    maximise sum_r a_r . D   subject to   a_r . D >= 0 for all constraint rows a_r,  -1 <= D <= 1,

with a_r = (2 y_rc - 1) psi_r for Bernoulli coordinate c, and a_r = (e_{y_r} - e_c') (x) psi_r for every
other class c' of a categorical. A positive optimum is a certificate (the returned D).
"""
from __future__ import annotations

import numpy as np
from scipy.optimize import linprog

from ..families import Bernoulli, Categorical

#: above this many distinct constraint rows the LP is not attempted
MAX_LP_ROWS = 200_000


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


class NotDecided(Exception):
    """The certificate does not apply (continuous family) or the LP is too large to attempt."""


def recession_direction(family, y_stats: np.ndarray, feats: np.ndarray, free: np.ndarray) -> np.ndarray | None:
    """A direction D (shape of theta) along which the supremum escapes, or None if there is none
    (then every best response of this player is attained).

    ``y_stats``: T(y_r) for each weighted pair (positive weight), ``feats``: psi_r, ``free``: the
    coordinates D may use (mask, minus penalised entries when rho > 0). Raises ``NotDecided`` for
    families without a finite support and for LPs above ``MAX_LP_ROWS`` rows."""
    m, k = free.shape
    if isinstance(family, Bernoulli):
        if y_stats.shape[0] > MAX_LP_ROWS:
            raise NotDecided(f"{y_stats.shape[0]} weighted pairs: LP not attempted")
        out = np.zeros((m, k))
        found = False
        for c in range(m):
            rows = (2 * y_stats[:, c:c + 1] - 1) * feats
            d = _lp_direction(rows, free[c])
            if d is not None:
                out[c], found = d, True
        return out if found else None
    if isinstance(family, Categorical):
        n = y_stats.shape[0]
        if n * (m + 1) > MAX_LP_ROWS:
            raise NotDecided(f"{n * (m + 1)} constraint rows: LP not attempted")
        cls = np.where(y_stats.sum(1) > 0, y_stats.argmax(1) + 1, 0)
        rows = []
        for other in range(m + 1):
            coef = np.zeros((n, m))
            has = cls > 0
            coef[has, cls[has] - 1] += 1.0
            if other > 0:
                coef[:, other - 1] -= 1.0
            keep = cls != other
            rows.append((coef[keep, :, None] * feats[keep, None, :]).reshape(-1, m * k))
        d = _lp_direction(np.concatenate(rows), free.ravel())
        return None if d is None else d.reshape(m, k)
    raise NotDecided(f"{type(family).__name__}: no finite support")
