"""Floating-point helpers (not rigorous): a Newton polish of the point to certify, and the
Newton-Kantorovich estimate used when a game is too large for interval evaluation."""
from __future__ import annotations

import numpy as np

from . import adapters


def polish(game, vec: np.ndarray, restrict: np.ndarray | None = None, steps: int = 4) -> np.ndarray:
    """Up to ``steps`` Newton steps on g (restricted to the coordinates ``restrict``, the others
    held fixed); a step is kept only if it stays in the domain and lowers the residual."""
    idx = np.arange(vec.size) if restrict is None else np.asarray(restrict)
    x = np.array(vec, dtype=np.float64)
    try:
        res = float(np.linalg.norm(adapters.float_gradient(game, x)[idx]))
    except ValueError:
        return x
    for _ in range(steps):
        if res == 0.0:
            break
        g = adapters.float_gradient(game, x)[idx]
        J = adapters.float_jacobian(game, x)[np.ix_(idx, idx)]
        try:
            step = np.linalg.solve(J, -g)
        except np.linalg.LinAlgError:
            break
        cand = x.copy()
        cand[idx] += step
        if not (np.all(np.isfinite(cand)) and adapters.in_domain(game, cand)):
            break
        new = float(np.linalg.norm(adapters.float_gradient(game, cand)[idx]))
        if not new < res:
            break
        x, res = cand, new
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
