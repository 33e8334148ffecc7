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

from ..core.validation import NonFiniteError, check_int, check_positive
from ..game import Game, Params
from .certified import RunVerdicts, certify_run, uncertified
from .escape import EscapeTest, escape_test
from .flow import SATURATION, gradient_flow, saturated
from .result import EquilibriumResult
from .trajectory import from_records
from .solvers import SOLVE_ARGS, SOLVERS, SolveOptions, SolverOutput
from .stability import Stability, orbit_rank, spectrum_diagnostics, stability

__all__ = ["solve", "METHODS", "SOLVERS", "SOLVE_ARGS", "SolveOptions", "EquilibriumResult", "Stability",
           "stability", "gradient_flow", "saturated", "SATURATION"]

#: the solve methods (names of the ``SOLVERS`` registry at import time)
METHODS = SOLVERS.names()

UNCERTIFIED = "uncertified: solve ran with certify=False (no interval work; floating-point diagnostics only)"


def solve(game: Game, method: str = "auto", seed: int | None = 0, init: Params | None = None,
          tol: float = 1e-10, max_steps: int = 20000, lr: float | None = None, batch_size: int = 256,
          progress: bool = False, certify: bool = True, stop_escaping: bool = False,
          gap_if_undecided: bool = True) -> EquilibriumResult:
    """Find an equilibrium of ``game`` from ``init`` (default ``game.init(seed)``) and certify it
    (``certify=False``: skip the certificates; every verdict undecided). ``stop_escaping`` (auto
    method): end the flow once the run shows escape evidence (``escape_test``) after a tenth of the
    budget instead of following it to the budget; such a run is certified like any other, so it
    ends undecided unless its end point is certified (never "escaped" without a certificate).
    ``gap_if_undecided=False``: where no equilibrium is certified, the independent Nash gap (best
    responses from independent starts) is not computed; its verdict says so (``verify``'s lean mode:
    it never reports the Nash gap of a run it does not classify)."""
    if not isinstance(game, Game):
        raise ValueError(f"game: expected an expfam_nash.Game, got {type(game).__name__}")
    entry = SOLVERS.get(method) if isinstance(method, str) and method in SOLVERS else None
    if entry is None:
        raise ValueError(f"method: expected one of {SOLVERS.names()}, got {method!r}")
    check_positive(tol, "tol")
    check_int(max_steps, "max_steps", minimum=1)
    check_int(batch_size, "batch_size")
    _check_used(entry, method, lr, batch_size)
    for flag, name in ((certify, "certify"), (stop_escaping, "stop_escaping"), (gap_if_undecided, "gap_if_undecided")):
        if not isinstance(flag, (bool, np.bool_)):
            raise ValueError(f"{name}: expected True or False, got {flag!r}")
    opts = SolveOptions(method, seed, tol, max_steps, lr, batch_size, progress, bool(certify), bool(stop_escaping),
                        bool(gap_if_undecided))
    params = game.init(seed=seed) if init is None else game.check(init)
    if not game.exact and entry.meta.get("exact", True):
        raise ValueError(f"method: {game.name} has no exact engine; use method='stochastic'")
    try:
        out = SolverOutput.of(entry.obj(game, params, opts))
    except NonFiniteError as exc:       # e.g. the step-size rule needs the own Hessians at the start
        out = SolverOutput(params, from_records(method, [], [], failure=str(exc)), None,
                           f"{method}: stopped, a quantity it needs overflows float64 ({exc})")
    escape = out.escape if out.escape is not None else escape_test(out.trajectory.steps, out.trajectory.param_norm,
                                                                   out.trajectory.residual)
    try:
        return _report(game, out, opts, escape)
    except NonFiniteError as exc:       # the end point cannot be evaluated: nothing certified, no NaN as a number
        return _unevaluable(game, out, opts, escape, str(exc))


def _check_used(entry, method: str, lr, batch_size: int) -> None:
    """ValueError for an option the method would ignore, or a step size that is not > 0."""
    uses = entry.meta.get("uses", ())
    if lr is not None and "lr" not in uses:
        raise ValueError(f"lr: method {method!r} takes no step size (methods with one: "
                         f"{', '.join(n for n in SOLVERS if 'lr' in SOLVERS[n].meta.get('uses', ()))})")
    if batch_size != SolveOptions.batch_size and "batch_size" not in uses:
        raise ValueError(f"batch_size: method {method!r} draws no minibatches (only 'stochastic' does)")
    if lr is not None and not callable(lr):
        check_positive(lr, "lr")


def _unevaluable(game: Game, out: SolverOutput, opts: SolveOptions, escape: EscapeTest, why: str):
    """The result at an end point where float64 overflows: every verdict undecided, the residual and
    the Nash gap NaN (null in JSON, "n/a" in the summary), never numbers."""
    reason = f"{out.reason}; the end point could not be certified ({why})"
    cv = uncertified(out.params, reason)
    nan = float("nan")
    return EquilibriumResult(
        params=out.params, verdicts=cv.verdicts, residual=nan, nash_gap=nan, jacobian_eigenvalues=np.zeros(0, complex),
        iterations=out.trajectory.iterations, method=opts.method, reason=reason, orbit_dimension=0,
        neutral_directions=0, max_stable_step=0.0, invariants={}, trajectory=out.trajectory, escape=escape,
        best_response_attained=False, game_name=game.name, options=opts.to_dict(), certified=False)


def _verdicts(game: Game, out: SolverOutput, opts: SolveOptions) -> RunVerdicts:
    if not game.exact:
        return uncertified(out.params, "no exact engine: residual and utilities are Monte Carlo estimates; nothing "
                                       "is certified")
    if not opts.certify:
        return uncertified(out.params, UNCERTIFIED)
    lr = (0.5 if opts.lr is None else opts.lr) if opts.method == "simultaneous" else None
    return certify_run(game, out.params, out.trajectory, opts.method, lr, certificate=out.certificate,
                       gap_if_undecided=opts.gap_if_undecided)


def _report(game: Game, out: SolverOutput, opts: SolveOptions, escape: EscapeTest) -> EquilibriumResult:
    with np.errstate(all="ignore"):        # overflow at extreme points: certificates fail, undecided
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
