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

from ..certify.newton import balanced_solve, units
from ..game import Game, Params
from .flow import saturated

#: largest pseudo-time step (relative to the first): beyond it the step is Newton's
MAX_GROWTH = 1e30


def _gradient(game: Game, vec: np.ndarray):
    """(point, gradient vector) or None if ``vec`` is outside the domain or not finite."""
    if not np.all(np.isfinite(vec)):
        return None
    try:
        p = game.unflatten(vec)
        g = game.flatten(game.gradient(p))
    except ValueError:                       # DomainError, NonFiniteError
        return None
    return (p, g) if np.all(np.isfinite(g)) else None


@np.errstate(over="ignore", invalid="ignore")        # overflowing merits are rejected steps, not errors
def continuation(game: Game, params: Params, max_steps: int = 400) -> tuple[Params, dict]:
    """Up to ``max_steps`` implicit Euler / Newton steps from ``params`` (see the module
    docstring); a step is accepted when the unit-free merit ||units * g|| (``certify.newton.units``) at most
    doubles, and the run stops when a Newton step would move no coordinate by more than 2^-43 of its
    unit, or by more than 2^-26 when no step is accepted any more (the rounding floor: the
    certifier refines from there).
    Returns (point, info): steps taken, rejected steps, the residual at the start and end, the
    distance moved and why it stopped."""
    start = game.flatten(params)
    cur = _gradient(game, start)
    if cur is None:
        return params, {"steps": 0, "stopped": "the start is outside the domain"}
    (p, g), v = cur, start
    res0 = float(np.linalg.norm(g))
    diag = float(np.max(np.abs(np.diag(game.jacobian(p)))))
    delta0 = delta = 1.0 / diag if diag > 0 else 1.0
    steps, rejected, stopped = 0, 0, "step budget"
    for steps in range(1, max_steps + 1):
        jac = game.jacobian(p)
        w = units(v, game.layout.n_theta, np.diag(jac))
        merit = float(np.linalg.norm(w * g))
        newton = balanced_solve(-jac, g) if merit > 0 else None
        rel = float(np.max(np.abs(newton) / w)) if newton is not None else np.inf
        if rel <= 2.0 ** -43:
            stopped = "a Newton step would move no coordinate beyond its rounding"
            break
        d = balanced_solve(np.eye(v.size) / delta - jac, g) if merit > 0 else None
        if d is None:
            stopped = "zero residual" if merit == 0 else "singular linear system"
            break
        new = _gradient(game, v + d)
        if new is None or not float(np.linalg.norm(w * new[1])) <= 2.0 * merit:
            if rel <= 2.0 ** -26:
                stopped = "at the merit's rounding floor, a Newton step below 2^-26 of every coordinate"
                break
            rejected += 1
            delta *= 0.25
            if delta < 1e-12 * delta0:
                stopped = "pseudo-time step collapsed"
                break
            continue
        delta = min(delta * 2.0 * max(1.0, merit / max(float(np.linalg.norm(w * new[1])), 1e-300)),
                    MAX_GROWTH * delta0)
        v, (p, g) = v + d, new
        if saturated(game, p):
            stopped = "reached a saturated point (no equilibrium can be certified there)"
            break
    info = {"steps": steps, "rejected": rejected, "residual_start": res0, "residual_end": float(np.linalg.norm(g)),
            "distance": float(np.max(np.abs(v - start))) if v.size else 0.0,
            "norm_end": float(np.linalg.norm(v)), "stopped": stopped}
    return p, info


@np.errstate(over="ignore", invalid="ignore")
def newton_polish(game: Game, params: Params, max_steps: int = 60, tol: float = 0.0):
    """Damped Newton on g in balanced coordinates with the unit-free merit ||units * g||: a step is
    halved (at most 10 times) until the merit decreases. Converged when a Newton step would move
    no coordinate beyond 2^-40 of its unit, or beyond 2^-26 of it (Newton's error is then about the
    step: the certifier takes over) while the residual is <= ``tol`` or the merit has reached its
    rounding floor. Returns (point, converged, records, units at the start) with records
    (step, residual, L_p, L_q, |params|) per iterate, a trajectory's rows."""
    v = game.flatten(params)
    cur = _gradient(game, v)
    if cur is None:
        return params, False, [], None
    p, g = cur
    records, first = [], None
    for k in range(max_steps + 1):
        res = float(np.linalg.norm(g))
        records.append((k, res, *game.utilities(p), float(np.linalg.norm(v))))
        jac = game.jacobian(p)
        w = units(v, game.layout.n_theta, np.diag(jac))
        first = w if first is None else first
        d = balanced_solve(-jac, g)
        if d is None or k == max_steps:
            return p, False, records, first
        rel = float(np.max(np.abs(d) / w))
        if rel <= 2.0 ** -40 or (rel <= 2.0 ** -26 and res <= tol):
            return p, True, records, first
        merit, t = float(np.linalg.norm(w * g)), 1.0
        while t >= 2.0 ** -10:
            new = _gradient(game, v + t * d)
            if new is not None and float(np.linalg.norm(w * new[1])) < merit:
                break
            if rel <= 2.0 ** -26:              # at the merit's rounding floor, already close
                return p, True, records, first
            t *= 0.5
        else:
            return p, False, records, first
        v, (p, g) = v + t * d, new
    return p, False, records, first
