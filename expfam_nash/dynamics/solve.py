"""``solve``: find an equilibrium, and say what was found, honestly.

The method (``SOLVERS``, see ``dynamics.solvers``) finds a point; ``solve`` then certifies it
(:mod:`.certified`): existence within an enclosure radius, convergence, stability, local
uniqueness and dimension, escape, the step size, a Nash-gap bound -- each certified, refuted or
undecided with its reason. Beside the verdicts: the residual, the floating-point spectrum
(diagnostic), the trajectory's growth test (evidence), saturation (points where float64 cannot
certify anything) and the invariants. ``certify=False`` skips the interval work: every verdict is
then undecided, and the result says so.
"""
from __future__ import annotations

import numpy as np

from ..core.validation import check_int, check_positive
from ..game import Game, Params
from .certified import RunVerdicts, certify_run, uncertified
from .escape import EscapeTest, escape_test
from .flow import SATURATION, gradient_flow, saturated
from .result import EquilibriumResult
from .solvers import SOLVE_ARGS, SOLVERS, SolveOptions, SolverOutput
from .stability import Stability, orbit_rank, spectrum_diagnostics, stability

__all__ = ["solve", "METHODS", "SOLVERS", "SOLVE_ARGS", "SolveOptions", "EquilibriumResult", "Stability",
           "stability", "gradient_flow", "saturated", "SATURATION"]

#: the solve methods (names of the ``SOLVERS`` registry at import time)
METHODS = SOLVERS.names()

UNCERTIFIED = "uncertified: solve ran with certify=False (no interval work; floating-point diagnostics only)"


def solve(game: Game, method: str = "auto", seed: int | None = 0, init: Params | None = None,
          tol: float = 1e-10, max_steps: int = 20000, lr: float | None = None, batch_size: int = 256,
          progress: bool = False, certify: bool = True) -> EquilibriumResult:
    """Find an equilibrium of ``game`` from ``init`` (default ``game.init(seed)``) and certify it
    (``certify=False``: skip the certificates; every verdict undecided)."""
    entry = SOLVERS.get(method) if method in SOLVERS else None
    if entry is None:
        raise ValueError(f"method: expected one of {SOLVERS.names()}, got {method!r}")
    check_positive(tol, "tol")
    check_int(max_steps, "max_steps", minimum=1)
    check_int(batch_size, "batch_size")
    if not isinstance(certify, (bool, np.bool_)):
        raise ValueError(f"certify: expected True or False, got {certify!r}")
    opts = SolveOptions(method, seed, tol, max_steps, lr, batch_size, progress, bool(certify))
    params = game.init(seed=seed) if init is None else game.check(init)
    if not game.exact and entry.meta.get("exact", True):
        raise ValueError(f"method: {game.name} has no exact engine; use method='stochastic'")
    out = SolverOutput.of(entry.obj(game, params, opts))
    escape = out.escape if out.escape is not None else escape_test(out.trajectory.steps, out.trajectory.param_norm,
                                                                   out.trajectory.residual)
    return _report(game, out, opts, escape)


def _verdicts(game: Game, out: SolverOutput, opts: SolveOptions) -> RunVerdicts:
    if not game.exact:
        return uncertified(out.params, "no exact engine: residual and utilities are Monte Carlo estimates; nothing "
                                       "is certified")
    if not opts.certify:
        return uncertified(out.params, UNCERTIFIED)
    lr = (0.5 if opts.lr is None else opts.lr) if opts.method == "simultaneous" else None
    return certify_run(game, out.params, out.trajectory, opts.method, lr, certificate=out.certificate)


def _report(game: Game, out: SolverOutput, opts: SolveOptions, escape: EscapeTest) -> EquilibriumResult:
    cv = _verdicts(game, out, opts)
    params, reason = cv.params, out.reason
    invariants, eig, orbit, neutral, step = {}, np.zeros(0, complex), 0, 0, 0.0
    if game.exact:
        residual = game.residual(params)
        invariants = game.invariants(params)
        cert = cv.certificate
        orbit = cert.orbit_dimension if cert is not None and cert.route == "fixed-subspace" else \
            orbit_rank(game.symmetry_tangents(params))
        eig, neutral, step = spectrum_diagnostics(game.spectrum(params), orbit)
        if saturated(game, out.params) and not cv.verdicts["existence"].holds:
            reason += ("; the end point is saturated (a natural parameter beyond +-30 or a vanishing learned "
                       "variance): no equilibrium can be certified there")
    else:
        est = game.estimate(params, n_samples=20000, seed=0)
        residual = float(np.linalg.norm(game.flatten(est.gradient)))
        reason += "; no exact engine: the residual is a Monte Carlo estimate, convergence not certified"
    if cv.polish is not None:
        reason += (f"; not certified at the end point: pseudo-transient continuation from it ({cv.polish['steps']} "
                   f"steps, {cv.polish['stopped']}) " + ("reached a certified stable equilibrium"
                                                          if cv.polish.get("accepted") else "certified nothing"))
    gap = cv.nash_gap_bound if np.isfinite(cv.nash_gap_bound) else cv.nash_gap_estimate
    return EquilibriumResult(
        params=params, verdicts=cv.verdicts, residual=float(residual), nash_gap=float(gap),
        jacobian_eigenvalues=eig, iterations=out.trajectory.iterations, method=opts.method, reason=reason,
        orbit_dimension=int(orbit), neutral_directions=int(neutral),
        max_stable_step=step if cv.verdicts["stability"].holds else 0.0, invariants=invariants,
        trajectory=out.trajectory, escape=escape, best_response_attained=cv.best_response_attained,
        game_name=game.name, options=opts.to_dict(), enclosure_radius=cv.enclosure_radius,
        lyapunov_margin=cv.lyapunov_margin, nash_gap_bound=cv.nash_gap_bound, recession=cv.recession,
        polish=cv.polish, certified=cv.certified, certificate=cv.certificate)
