"""Floating-point helpers (not rigorous): a Newton polish of the point to certify, and the
Newton-Kantorovich estimate used when a game is too large for interval evaluation."""
from __future__ import annotations

import numpy as np

from . import adapters
from .linalg import balance


def units(vec: np.ndarray, n_theta: int, jac_diag: np.ndarray | None = None) -> np.ndarray:
    """A unit per coordinate: |v_i| + 2^-10 max |v| over the coordinate's player + 2^-10 / sqrt|J_ii|
    (the length over which the player's own utility curves by O(1); it covers a player sitting at 0),
    and 1 where all of these vanish. g_i units_i is unit-free: the merit ||units * g|| does not change
    when a player's parameters are rescaled (a change of the data's units)."""
    a = np.abs(vec)
    w = a.copy()
    for sl in (slice(0, n_theta), slice(n_theta, vec.size)):
        w[sl] += 2.0 ** -10 * float(np.max(a[sl], initial=0.0))
    if jac_diag is not None:
        curv = np.abs(np.asarray(jac_diag, dtype=np.float64))
        with np.errstate(divide="ignore"):
            w += np.where(curv > 0, 2.0 ** -10 / np.sqrt(curv), 0.0)
    return np.where(w > 0, w, 1.0)


def balanced_solve(A: np.ndarray, b: np.ndarray) -> np.ndarray | None:
    """A^-1 b through the diagonal similarity D^-1 A D that balances A (powers of two, LAPACK): the
    same solution in exact arithmetic, an accurate one when the coordinates have very different
    units (entries of A spread over many orders of magnitude). None if singular or not finite."""
    dd = balance(A)
    try:
        y = np.linalg.solve(A * (dd[None, :] / dd[:, None]), b / dd)
    except np.linalg.LinAlgError:
        return None
    x = y * dd
    return x if np.all(np.isfinite(x)) else None


def polish(game, vec: np.ndarray, restrict: np.ndarray | None = None, steps: int = 4) -> np.ndarray:
    """Up to ``steps`` Newton steps on g (restricted to the coordinates ``restrict``, the others
    held fixed), solved in balanced coordinates; a step is kept only if it stays in the domain and
    lowers the unit-free merit ||units * g|| (:func:`units`)."""
    idx = np.arange(vec.size) if restrict is None else np.asarray(restrict)
    x = np.array(vec, dtype=np.float64)
    nt = adapters.n_theta(game)
    try:
        g = adapters.float_gradient(game, x)[idx]
    except ValueError:
        return x
    for _ in range(steps):
        J = adapters.float_jacobian(game, x)
        w = units(x, nt, np.diag(J))[idx]
        with np.errstate(over="ignore"):                 # an overflowing merit stops the polish below
            merit = float(np.linalg.norm(w * g))
        if merit == 0.0 or not np.isfinite(merit):
            break
        step = balanced_solve(J[np.ix_(idx, idx)], -g)
        if step is None:
            break
        cand = x.copy()
        cand[idx] += step
        if not (np.all(np.isfinite(cand)) and adapters.in_domain(game, cand)):
            break
        g_new = adapters.float_gradient(game, cand)[idx]
        with np.errstate(over="ignore"):
            better = float(np.linalg.norm(w * g_new)) < merit
        if not better:
            break
        x, g = cand, g_new
    return x


def newton_kantorovich(game, vec: np.ndarray, seed: int = 0) -> dict:
    """Floating-point Newton-Kantorovich estimate (NOT rigorous): beta = ||J^-1||_2, eta =
    ||J^-1 g||, L from a finite difference of J; a zero within r = (1 - sqrt(1 - 2h)) / (beta L)
    when h = beta L eta <= 1/2."""
    g = adapters.float_gradient(game, vec)
    J = adapters.float_jacobian(game, vec)
    try:
        Jinv = np.linalg.inv(J)
    except np.linalg.LinAlgError:
        return {"holds": False, "reason": "singular Jacobian"}
    beta = float(np.linalg.norm(Jinv, 2))
    eta = float(np.linalg.norm(Jinv @ g))
    u = np.random.default_rng(seed).standard_normal(vec.size)
    u /= np.linalg.norm(u)
    h_step = 1e-4 * (1.0 + float(np.linalg.norm(vec)))
    try:
        lip = float(np.linalg.norm(adapters.float_jacobian(game, vec + h_step * u) - J, 2)) / h_step
    except ValueError:
        return {"holds": False, "reason": "finite difference left the domain"}
    h = beta * lip * eta
    if not h <= 0.5:
        return {"holds": False, "reason": f"h = beta L eta = {h:.3g} > 1/2", "h": h}
    r = (1.0 - np.sqrt(1.0 - 2.0 * h)) / (beta * lip) if beta * lip > 0 else eta
    return {"holds": True, "radius": float(r), "h": h, "beta": beta, "lipschitz": lip, "eta": eta}
