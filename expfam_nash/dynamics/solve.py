"""``solve``: find an equilibrium, and say what was found, honestly.

The method (``SOLVERS``, see ``dynamics.solvers``) finds a point; ``solve`` then certifies it:
residual, Nash gap (best responses), the Jacobian spectrum and stability transversal to the
symmetry orbit (``dynamics.stability``), escape to infinity (from the trajectory, or certified by a
recession direction), saturation (points where float64 cannot certify anything) and invariants.
"""
from __future__ import annotations

import numpy as np

from ..core.validation import NonFiniteError, check_int, check_positive
from ..game import Game, Params
from .escape import EscapeTest, escape_test
from .flow import SATURATION, gradient_flow, saturated
from .result import EquilibriumResult
from .solvers import SOLVE_ARGS, SOLVERS, SolveOptions
from .stability import Stability, stability
from .trajectory import Trajectory, from_records

__all__ = ["solve", "METHODS", "SOLVERS", "SOLVE_ARGS", "SolveOptions", "EquilibriumResult", "Stability",
           "stability", "gradient_flow", "saturated", "SATURATION"]

#: the solve methods (names of the ``SOLVERS`` registry at import time)
METHODS = SOLVERS.names()


def solve(game: Game, method: str = "auto", seed: int | None = 0, init: Params | None = None,
          tol: float = 1e-10, max_steps: int = 20000, lr: float | None = None, batch_size: int = 256,
          progress: bool = False) -> EquilibriumResult:
    """Find an equilibrium of ``game`` from ``init`` (default ``game.init(seed)``) and certify it."""
    if not isinstance(game, Game):
        raise ValueError(f"game: expected an expfam_nash.Game, got {type(game).__name__}")
    entry = SOLVERS.get(method) if isinstance(method, str) and method in SOLVERS else None
    if entry is None:
        raise ValueError(f"method: expected one of {SOLVERS.names()}, got {method!r}")
    check_positive(tol, "tol")
    check_int(max_steps, "max_steps", minimum=1)
    check_int(batch_size, "batch_size")
    uses = entry.meta.get("uses", ())
    if lr is not None and "lr" not in uses:
        raise ValueError(f"lr: method {method!r} takes no step size (methods with one: "
                         f"{', '.join(n for n in SOLVERS if 'lr' in SOLVERS[n].meta.get('uses', ()))})")
    if batch_size != SolveOptions.batch_size and "batch_size" not in uses:
        raise ValueError(f"batch_size: method {method!r} draws no minibatches (only 'stochastic' does)")
    if lr is not None and not callable(lr):
        check_positive(lr, "lr")
    opts = SolveOptions(method, seed, tol, max_steps, lr, batch_size, progress)
    params = game.init(seed=seed) if init is None else game.check(init)
    if not game.exact and entry.meta.get("exact", True):
        raise ValueError(f"method: {game.name} has no exact engine; use method='stochastic'")
    try:
        params, traj, escape, reason = entry.obj(game, params, opts)
    except NonFiniteError as exc:      # e.g. the step-size rule needs the own Hessians at the start
        traj, escape = from_records(method, [], [], failure=f"step 0: {exc}"), None
        reason = f"{method}: stopped at the start point, which overflows float64 ({exc})"
    if escape is None:
        escape = escape_test(traj.steps, traj.param_norm, traj.residual)
    return _certify(game, params, traj, opts, reason, escape)


def _measure(game: Game, params: Params):
    """(residual, Nash gap, best responses attained, Stability or None, invariants, failure) at the
    end point. A quantity that overflows float64 there is NaN (JSON null, "n/a") and the failure
    says why; it is never reported as a number."""
    nan = float("nan")
    try:
        if not game.exact:
            est = game.estimate(params, n_samples=20000, seed=0)
            return float(np.linalg.norm(game.flatten(est.gradient))), nan, False, None, {}, ""
        residual = game.residual(params)
        br = game.best_responses(params)
        gap, attained = br.nash_gap, br.attained
    except NonFiniteError as exc:
        return nan, nan, False, None, {}, str(exc)
    try:
        return residual, gap, attained, stability(game, params), game.invariants(params), ""
    except NonFiniteError as exc:
        return residual, gap, attained, None, {}, str(exc)


def _certify(game: Game, params: Params, traj: Trajectory, opts: SolveOptions, reason: str,
             escape: EscapeTest) -> EquilibriumResult:
    tol = opts.tol
    eig = np.zeros(0, complex)
    residual, gap, attained, stab, invariants, failed = _measure(game, params)
    if failed:
        reason += f"; the end point could not be certified ({failed})"
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
