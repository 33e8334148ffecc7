"""Pseudo-transient continuation: a polish of a run's end point that keeps following the flow.

    v <- v + (I / delta - J(v))^-1 g(v)

is an implicit Euler step of the gradient flow v' = g(v) with pseudo-time step delta, and a
Newton step on g as delta -> infinity. Implicit Euler follows stiff flows (Jacobian eigenvalues
spread over many orders of magnitude, as in weakly anchored games, where explicit ascent crawls
along the slow directions and looks like an escape) at the cost of one linear solve per step.
delta starts at 1 / max |J_ii| (a time, so the start does not depend on units), doubles after
an accepted step (grows further as the residual falls: switched evolution relaxation), and a
step that more than doubles the residual, leaves the domain or overflows is rejected (delta
quartered). Floating point only: whatever it finds is certified (or not) by ``certify``.
"""
from __future__ import annotations

import numpy as np

from ..game import Game, Params
from .flow import saturated

#: largest pseudo-time step (relative to the first): beyond it the step is Newton's
MAX_GROWTH = 1e30


def _residual(game: Game, vec: np.ndarray):
    """(point, gradient vector, residual) or None if ``vec`` is outside the domain or not finite."""
    if not np.all(np.isfinite(vec)):
        return None
    try:
        p = game.unflatten(vec)
        g = game.flatten(game.gradient(p))
    except ValueError:                       # DomainError, NonFiniteError
        return None
    res = float(np.linalg.norm(g))
    return (p, g, res) if np.isfinite(res) else None


def continuation(game: Game, params: Params, max_steps: int = 400) -> tuple[Params, dict]:
    """Up to ``max_steps`` implicit Euler / Newton steps from ``params`` (see the module
    docstring). Returns (point, info) with info: steps taken, rejected steps, the residual at the
    start and end, the distance moved and why it stopped."""
    start = game.flatten(params)
    cur = _residual(game, start)
    if cur is None:
        return params, {"steps": 0, "stopped": "the start is outside the domain"}
    p, g, res = cur
    res0 = res
    diag = float(np.max(np.abs(np.diag(game.jacobian(p)))))
    delta0 = delta = 1.0 / diag if diag > 0 else 1.0
    v, steps, rejected, stopped = start, 0, 0, "step budget"
    for steps in range(1, max_steps + 1):
        if res == 0.0:
            stopped = "zero residual"
            break
        jac = game.jacobian(p)
        try:
            d = np.linalg.solve(np.eye(v.size) / delta - jac, g)
        except np.linalg.LinAlgError:
            stopped = "singular linear system"
            break
        new = _residual(game, v + d)
        if new is None or not new[2] <= 2.0 * res:
            rejected += 1
            delta *= 0.25
            if delta < 1e-12 * delta0:
                stopped = "pseudo-time step collapsed"
                break
            continue
        newton = delta >= 1e8 * delta0
        progress = new[2] < 0.9 * res
        delta = min(delta * 2.0 * max(1.0, res / max(new[2], 1e-300)), MAX_GROWTH * delta0)
        v, (p, g, res) = v + d, new
        if saturated(game, p):
            stopped = "reached a saturated point (no equilibrium can be certified there)"
            break
        if newton and not progress:
            stopped = "residual at its floating-point floor"
            break
    info = {"steps": steps, "rejected": rejected, "residual_start": res0, "residual_end": res,
            "distance": float(np.max(np.abs(v - start))) if v.size else 0.0,
            "norm_end": float(np.linalg.norm(v)), "stopped": stopped}
    return p, info
