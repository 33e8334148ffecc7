"""The verdicts of a run: what ``solve`` says about the point a method returned, each a
three-valued :class:`~expfam_nash.core.verdict.Verdict` backed by ``expfam_nash.certify``.

* ``existence``: an equilibrium lies within ``enclosure_radius`` of the returned point (Krawczyk
  in ball arithmetic, or the fixed-subspace / coupling routes). When the end point is not
  certified, it is polished by pseudo-transient continuation (:mod:`.continuation`, which keeps
  following the flow: a slow run is not an escape) and accepted if a *stable* equilibrium is
  certified there; otherwise the run's end point is returned, undecided, with the attempt.
* ``convergence`` (the ``converged`` boolean): existence at the returned point, refuted when the
  method's own iteration is certified unstable there (``step``).
* ``stability``, ``uniqueness`` (in the Krawczyk box, up to symmetry), ``continuum`` (local
  dimension): the certificate's verdicts at that equilibrium.
* ``escape`` (the ``diverged`` boolean: the run escapes to infinity, no finite equilibrium along
  it): certified by a recession direction valid for every opponent (no finite equilibrium exists
  at all); refuted when the run reached a certified equilibrium, or, if only the continuation
  reached one, when the run's end point lies in its certified basin; otherwise undecided with the
  diagnostics (norm growth per e-fold of steps, residual decay, the polish attempt).
* ``step`` (fixed-step simultaneous ascent only): is v <- v + lr g(v) stable at the equilibrium
  (Stein inertia over the enclosure)? None for methods without a fixed step.
* ``nash_gap``: a certified upper bound (strong concavity on the Krawczyk box, or a best
  response started away from the point plus a Taylor bound); never a best response started at
  the point.

Floating-point spectra stay in the result as diagnostics; no verdict uses an eigenvalue
tolerance. ``certify=False`` skips all of this: every verdict undecided, saying so.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..certify import certify_equilibrium, independent_nash_gap
from ..certify.adapters import Unsupported, arrays
from ..certify.escape import basin_attempts, in_basin, recession_certificate, trajectory_diagnostics
from ..certify.lyapunov import inertia
from ..certify.nash_gap import gap_from_certificate
from ..core.verdict import Verdict
from ..game import Game, Params
from .continuation import continuation
from .trajectory import Trajectory

#: the verdicts of a run, in the order they are shown
NAMES = ("existence", "convergence", "stability", "uniqueness", "continuum", "escape", "step", "nash_gap")


@dataclass(frozen=True, eq=False)
class RunVerdicts:
    """The verdicts of one run and the certificate numbers behind them."""

    params: Params                       # the returned point (the certified center when existence holds)
    verdicts: dict
    enclosure_radius: float = float("nan")
    lyapunov_margin: float = float("nan")
    nash_gap_bound: float = float("inf")
    nash_gap_estimate: float = float("nan")
    recession: dict | None = None
    polish: dict | None = None
    best_response_attained: bool = True
    certificate: object = field(default=None, repr=False)
    certified: bool = True


def uncertified(params: Params, reason: str) -> RunVerdicts:
    """Every verdict undecided with ``reason`` (certify=False, or no exact engine)."""
    v = Verdict.undecided(reason)
    return RunVerdicts(params, {n: v for n in NAMES if n != "step"}, certified=False)


def _rescue(game: Game, end: Params, first):
    """(certificate to use, polish info): pseudo-transient continuation from an end point that
    was not certified; its point is kept only if a stable equilibrium is certified there."""
    point, info = continuation(game, end)
    cert = certify_equilibrium(game, point)
    info["existence"], info["stability"] = cert.existence.status.value, cert.stability.status.value
    info["accepted"] = bool(cert.existence.holds and cert.stability.holds)
    return (cert if info["accepted"] else first), info


def _step_verdict(cert, lr: float | None, method: str) -> Verdict | None:
    """Stein inertia of I + lr J over the enclosure, for fixed-step simultaneous ascent."""
    if method != "simultaneous" or lr is None:
        return None
    if not cert.existence.holds:
        return Verdict.undecided(f"lr = {lr:.4g}: no certified equilibrium to judge the iteration at")
    if cert.stability.status.value == "refuted":
        return Verdict.refuted(f"lr = {lr:.4g}: the flow itself is unstable here, so is every fixed step", lr=lr)
    J = cert.transversal if cert.transversal is not None else cert.jacobian
    if J is None:
        return Verdict.undecided(f"lr = {lr:.4g}: no Jacobian enclosure")
    out = inertia(J, "arb" if cert.method == "arb" else "ball", lr=lr)
    if out.status == "stable":
        return Verdict.certified(f"lr = {lr:.4g}: every eigenvalue of I + lr J lies inside the unit disk (Stein "
                                 "inequality over the enclosure)", lr=lr)
    if out.status == "unstable":
        flow = "is certified stable" if cert.stability.holds else "may be stable"
        return Verdict.refuted(f"lr = {lr:.4g}: I + lr J has an eigenvalue outside the unit disk ({out.reason}); the "
                               f"iteration is unstable although the flow {flow}", lr=lr)
    return Verdict.undecided(f"lr = {lr:.4g}: {out.reason}", lr=lr)


def _convergence(cert, step: Verdict | None, polish: dict | None) -> Verdict:
    if not cert.existence.holds:
        return Verdict.undecided(f"no equilibrium certified near the returned point: {cert.existence.reason}")
    radius = cert.radius
    moved = f", moved {cert.offset:.3g} by the certifier's Newton polish" if cert.offset > 0 else ""
    how = (f"the method's end point{moved}" if polish is None else
           f"a pseudo-transient continuation ({polish['steps']} steps) of the method's end point, at distance "
           f"{polish['distance']:.3g}")
    if step is not None and step.status.value == "refuted":
        return Verdict.refuted(f"an equilibrium lies within {radius:.3g} of {how}, but the iteration is unstable "
                               f"there ({step.reason}): it cannot converge to it", radius=radius)
    return Verdict.certified(f"an equilibrium lies within {radius:.3g} of the returned point ({how})", radius=radius)


def _escape(game: Game, cert, end: Params, traj: Trajectory, polish: dict | None) -> tuple[Verdict, dict | None]:
    """(escape verdict, recession {player, direction} or None)."""
    if cert.existence.holds and polish is None:
        return Verdict.refuted(f"the run reached a certified equilibrium (within {cert.radius:.3g} of the returned "
                               "point): no escape"), None
    diag = trajectory_diagnostics((traj.steps, traj.param_norm, traj.residual)) if traj.steps.size else {}
    if polish is not None:
        diag["polish"] = {k: polish[k] for k in ("steps", "distance", "norm_end", "residual_end", "stopped",
                                                 "existence", "stability") if k in polish}
    if cert.existence.holds:                    # reached only by the continuation: is the end point in its basin?
        ok, why = in_basin(cert, game.flatten(end), cert.method)
        if not ok:
            ok, why = basin_attempts(game, cert.center, game.flatten(end), cert.method)
        if ok:
            return Verdict.refuted(f"the run's end point lies in the certified basin of a stable equilibrium "
                                   f"({why}): the gradient flow from it converges", **diag), None
        return Verdict.undecided(f"a stable equilibrium is certified near the run's end point (pseudo-transient "
                                 f"continuation), but the end point is not certified in its basin ({why})",
                                 **diag), None
    found = recession_certificate(game)
    if found is not None:
        player, D = found
        return Verdict.certified(f"the {player} has a recession direction valid for every opponent strategy: no "
                                 "finite equilibrium exists and every flow trajectory is unbounded", player=player,
                                 **diag), {"player": player, "direction": D}
    growth = diag.get("norm_growth_per_efold")
    what = "" if growth is None else (f"; |params| grows by {growth:.3g} per e-fold of steps while the residual "
                                      f"changes by a factor {diag.get('residual_ratio_last_half', float('nan')):.3g} "
                                      "over the last half of the run (evidence, not a proof)")
    return Verdict.undecided("no recession direction valid for every opponent, and no certified equilibrium near "
                             f"the end point{what}; a recession certificate or a certified basin would decide it",
                             **diag), None


#: the reason of the Nash-gap verdict of a run whose gap was skipped (``solve(gap_if_undecided=False)``)
GAP_SKIPPED = ("not computed: no equilibrium is certified at the returned point, and solve ran with "
               "gap_if_undecided=False (verify's lean mode: it never reports the Nash gap of a run it does not "
               "classify)")


def _nash_gap(game: Game, cert, point: Params, gap_if_undecided: bool = True) -> tuple[Verdict, float, float, bool]:
    """(verdict, certified bound, floating-point estimate, best responses attained).
    ``gap_if_undecided=False``: where no equilibrium is certified, skip the independent best
    responses (undecided, saying so; no bound, no estimate)."""
    fast = gap_from_certificate(game, cert) if cert.existence.holds else None
    if fast is not None:
        return fast.gap, fast.bound, fast.bound, True
    if not gap_if_undecided and not cert.existence.holds:
        return Verdict.undecided(GAP_SKIPPED, skipped=True), float("inf"), float("nan"), True
    out = independent_nash_gap(game, point)
    attained = all(p.get("attained", True) for d in out.independent_detail.values() if isinstance(d, dict)
                   for p in d.values() if isinstance(p, dict))
    return out.gap, out.bound, out.independent, attained


def certify_run(game: Game, end: Params, traj: Trajectory, method: str, lr: float | None = None,
                certificate=None, gap_if_undecided: bool = True) -> RunVerdicts:
    """The verdicts of a run that ended at ``end`` (see the module docstring). ``certificate``: the
    solver's own certificate of ``end``, if it made one (saves recomputing it).
    ``gap_if_undecided=False``: no independent Nash gap where no equilibrium is certified."""
    try:
        arrays(game)
    except Unsupported as exc:
        return uncertified(end, f"the certifier has no exact model of this game ({exc}): nothing is certified")
    cert = certificate if certificate is not None else certify_equilibrium(game, end)
    polish = None
    if not cert.existence.holds:
        cert, polish = _rescue(game, end, cert)
    point = end
    if cert.existence.holds and not np.array_equal(cert.center, game.flatten(end)):
        point = game.unflatten(cert.center)       # (the same object otherwise: the game's memo stays valid)
    step = _step_verdict(cert, lr, method)
    escape, recession = _escape(game, cert, end, traj, polish)
    gap, bound, estimate, attained = _nash_gap(game, cert, point, gap_if_undecided)
    verdicts = {"existence": cert.existence, "convergence": _convergence(cert, step, polish),
                "stability": cert.stability, "uniqueness": cert.uniqueness, "continuum": cert.continuum,
                "escape": escape, "nash_gap": gap}
    if step is not None:
        verdicts["step"] = step
    return RunVerdicts(point, verdicts, enclosure_radius=cert.radius, lyapunov_margin=float(cert.decay),
                       nash_gap_bound=bound, nash_gap_estimate=estimate, recession=recession, polish=polish,
                       best_response_attained=attained, certificate=cert)
