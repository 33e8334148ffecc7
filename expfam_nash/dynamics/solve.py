"""``solve``: find an equilibrium, and say what was found, honestly.

The method (``SOLVERS``, see ``dynamics.solvers``) finds a point; ``solve`` then certifies it:
residual, Nash gap (best responses), the Jacobian spectrum and stability transversal to the
symmetry orbit (``dynamics.stability``), escape to infinity (from the trajectory, or certified by a
recession direction), saturation (points where float64 cannot certify anything) and invariants.
"""
from __future__ import annotations

import numpy as np

from ..core.validation import check_int, check_positive
from ..game import Game, Params
from .escape import EscapeTest, escape_test
from .flow import SATURATION, gradient_flow, saturated
from .result import EquilibriumResult
from .solvers import SOLVE_ARGS, SOLVERS, SolveOptions
from .stability import Stability, stability
from .trajectory import Trajectory

__all__ = ["solve", "METHODS", "SOLVERS", "SOLVE_ARGS", "SolveOptions", "EquilibriumResult", "Stability",
           "stability", "gradient_flow", "saturated", "SATURATION"]

#: the solve methods (names of the ``SOLVERS`` registry at import time)
METHODS = SOLVERS.names()


def solve(game: Game, method: str = "auto", seed: int | None = 0, init: Params | None = None,
          tol: float = 1e-10, max_steps: int = 20000, lr: float | None = None, batch_size: int = 256,
          progress: bool = False) -> EquilibriumResult:
    """Find an equilibrium of ``game`` from ``init`` (default ``game.init(seed)``) and certify it."""
    entry = SOLVERS.get(method) if method in SOLVERS else None
    if entry is None:
        raise ValueError(f"method: expected one of {SOLVERS.names()}, got {method!r}")
    check_positive(tol, "tol")
    check_int(max_steps, "max_steps", minimum=1)
    check_int(batch_size, "batch_size")
    opts = SolveOptions(method, seed, tol, max_steps, lr, batch_size, progress)
    params = game.init(seed=seed) if init is None else game.check(init)
    if not game.exact and entry.meta.get("exact", True):
        raise ValueError(f"method: {game.name} has no exact engine; use method='stochastic'")
    params, traj, escape, reason = entry.obj(game, params, opts)
    if escape is None:
        escape = escape_test(traj.steps, traj.param_norm, traj.residual)
    return _certify(game, params, traj, opts, reason, escape)


def _certify(game: Game, params: Params, traj: Trajectory, opts: SolveOptions, reason: str,
             escape: EscapeTest) -> EquilibriumResult:
    tol = opts.tol
    invariants, eig, stab = {}, np.zeros(0, complex), None
    if game.exact:
        residual = game.residual(params)
        br = game.best_responses(params)
        gap, attained = br.nash_gap, br.attained
        stab = stability(game, params)
        invariants = game.invariants(params)
    else:
        est = game.estimate(params, n_samples=20000, seed=0)
        residual = float(np.linalg.norm(game.flatten(est.gradient)))
        gap, attained = float("nan"), False
    at_boundary = game.exact and saturated(game, params)
    # only the flow-based methods speak for the game's dynamics: Newton or best-response iterations
    # that wander off to a saturated point have failed, which is not evidence of an escape
    flow_like = SOLVERS[opts.method].meta.get("flow", False)
    grew = flow_like and traj.param_norm.size > 1 and traj.param_norm[-1] > traj.param_norm[0]
    diverged = bool(escape.escaping and residual > tol) or bool(at_boundary and (escape.escaping or grew))
    if at_boundary:
        reason += ("; the end point is saturated (a natural parameter beyond +-30 or a vanishing learned "
                   "variance): no equilibrium can be certified there")
    # a recession direction holds for every opponent: no finite equilibrium exists at all
    nonexistence = game.nonexistence()
    if nonexistence:
        diverged = True
        reason += f"; {nonexistence}: no finite equilibrium exists"
    converged = bool(game.exact and residual <= tol and not diverged and not at_boundary)
    if not game.exact:
        reason += "; no exact engine: residual is a Monte Carlo estimate, convergence not certified"
    return EquilibriumResult(
        params=params, converged=converged, diverged=diverged, residual=float(residual), nash_gap=float(gap),
        jacobian_eigenvalues=stab.eigenvalues if stab else eig, stable=bool(stab and stab.stable and converged),
        iterations=traj.iterations, method=opts.method, reason=reason,
        orbit_dimension=stab.orbit_dimension if stab else 0,
        neutral_directions=stab.neutral_directions if stab else 0,
        max_stable_step=stab.max_stable_step if stab else 0.0, invariants=invariants, trajectory=traj,
        escape=escape, best_response_attained=attained, game_name=game.name, options=opts.to_dict())
