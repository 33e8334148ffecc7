"""``solve``: find an equilibrium, and say what was found, honestly.

Default method ``"auto"`` (exact games): the gradient flow, integrated by simultaneous
gradient ascent with an adaptive step (halved when the residual grows over a chunk of steps,
grown slowly while it shrinks), then damped Newton on the pseudo-gradient to polish. The flow
makes the end point generic (saddles and unstable equilibria repel it); Newton is accepted only
if it converges close to where the flow was heading. A run whose parameter norm grows like
log(t) while the residual shrinks is reported ``diverged`` (escape to infinity), never
``converged``, whatever its last residual.

Stability is judged transversally to the orbit of the continuous latent symmetries: the
Jacobian has exactly ``orbit_dimension`` zero eigenvalues along the orbit; the equilibrium is
``stable`` when every other eigenvalue has real part < -tol_eig, with
tol_eig = 1e-7 * max(1, max |eigenvalue|). The largest stable step of the discrete iteration
v <- v + eta g(v) is min over those eigenvalues of -2 Re(lambda) / |lambda|^2.
"""
from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field

import numpy as np

from .._validation import check_int, check_positive
from ..families import GaussianLearned
from ..game import DomainError, Game, NonFiniteError, Params
from . import algorithms as alg
from .escape import EscapeTest, escape_test
from .trajectory import Trajectory

METHODS = ("auto", "simultaneous", "alternating", "best-response", "newton", "stochastic")


@dataclass(frozen=True, eq=False)
class Stability:
    eigenvalues: np.ndarray
    orbit_dimension: int
    neutral_directions: int
    stable: bool
    max_stable_step: float
    tol: float


def stability(game: Game, params: Params, jac: np.ndarray | None = None) -> Stability:
    """Spectrum of the game Jacobian and the stability verdict transversal to the symmetry orbit."""
    eig = game.spectrum(params) if jac is None else np.linalg.eigvals(jac)
    eig = eig[np.lexsort((eig.imag, -eig.real))]
    tol = 1e-7 * max(1.0, float(np.abs(eig).max(initial=0.0)))
    tangents = game.symmetry_tangents(params)
    orbit = int(np.linalg.matrix_rank(tangents, tol=1e-8 * max(1.0, np.abs(tangents).max(initial=0.0)))) \
        if tangents.size else 0
    neutral = int(np.sum(np.abs(eig.real) <= tol))
    order = np.argsort(np.abs(eig))
    rest = eig[order[orbit:]]
    zero_modes_ok = bool(np.all(np.abs(eig[order[:orbit]]) <= tol))
    stable = zero_modes_ok and bool(np.all(rest.real < -tol))
    step = float(np.min(-2 * rest.real / np.abs(rest) ** 2)) if stable and rest.size else 0.0
    return Stability(eig, orbit, neutral, stable, step, tol)


@dataclass(frozen=True, eq=False)
class EquilibriumResult:
    """What ``solve`` found. ``converged`` means residual <= tol at a finite point that is not
    escaping; ``diverged`` means the parameters escape to infinity (no finite equilibrium reached)."""

    params: Params
    converged: bool
    diverged: bool
    residual: float
    nash_gap: float
    jacobian_eigenvalues: np.ndarray
    stable: bool
    iterations: int
    method: str
    reason: str
    orbit_dimension: int
    neutral_directions: int
    max_stable_step: float
    invariants: dict
    trajectory: Trajectory
    escape: EscapeTest | None = None
    best_response_attained: bool = True
    game_name: str = field(default="game")

    def summary(self) -> str:
        status = "CONVERGED" if self.converged else ("DIVERGED (escape to infinity)" if self.diverged
                                                     else "NOT CONVERGED")
        eig = self.jacobian_eigenvalues
        top = eig.real.max() if eig.size else float("nan")
        lines = [
            f"{self.game_name}: {status} by {self.method} after {self.iterations} iterations ({self.reason})",
            f"  residual |grad|      {self.residual:.3e}",
            f"  Nash gap             {self.nash_gap:.3e}" + ("" if self.best_response_attained
                                                             else "  (lower bound: a best response is not attained)"),
            f"  |params|             {self.params.norm():.6g}",
            f"  stable               {self.stable}  (largest Re eigenvalue {top:.4g}, orbit dimension "
            f"{self.orbit_dimension}, neutral directions {self.neutral_directions})",
        ]
        if self.stable:
            lines.append(f"  largest stable step  {self.max_stable_step:.4g}")
        if self.escape is not None and self.diverged:
            lines.append(f"  escape               {self.escape.summary()}")
        for key, val in self.invariants.items():
            arr = np.asarray(val)
            lines.append(f"  {key:<20} " + (np.array2string(arr, precision=4, suppress_small=True)
                                            if arr.size <= 12 else f"array {arr.shape}"))
        return "\n".join(lines)

    def to_dict(self) -> dict:
        return {
            "game": self.game_name,
            "converged": self.converged, "diverged": self.diverged, "stable": self.stable,
            "residual": self.residual, "nash_gap": self.nash_gap,
            "jacobian_eigenvalues": [[float(e.real), float(e.imag)] for e in self.jacobian_eigenvalues],
            "iterations": self.iterations, "method": self.method, "reason": self.reason,
            "orbit_dimension": self.orbit_dimension, "neutral_directions": self.neutral_directions,
            "max_stable_step": self.max_stable_step, "best_response_attained": self.best_response_attained,
            "params": self.params.to_dict(),
            "invariants": {k: np.asarray(v).tolist() for k, v in self.invariants.items()},
        }

    def to_json(self, **kw) -> str:
        return json.dumps(self.to_dict(), **kw)


# -- the flow ------------------------------------------------------------------------------------
def _flow_chunk(game: Game, params: Params, lr: float, n: int, tol: float):
    eng = game.engine
    if getattr(eng, "fused", False):
        th, ph, res, norm, utils, steps = eng.ascent(params.theta, params.phi, lr, n, tol)
        return Params(th, ph), res, norm, utils, steps
    try:
        with np.errstate(over="ignore", invalid="ignore"):
            state, traj = alg.run(game, alg.simultaneous(game, lr), params, n, tol=tol)
    except (DomainError, NonFiniteError):   # the step left the domain or overflowed: a blow-up
        return params, np.array([np.nan]), np.array([np.nan]), np.full((1, 2), np.nan), 0
    return state.params, traj.residual, traj.param_norm, traj.utilities, traj.iterations


def gradient_flow(game: Game, params: Params, max_steps: int, tol: float, lr: float | None = None,
                  chunk: int = 250, on_chunk=None):
    """Adaptive-step simultaneous ascent until residual <= tol, escape, or ``max_steps``.
    ``on_chunk(params, trajectory)`` may return True to stop early. Returns (params, Trajectory, lr)."""
    if lr is None:
        hp, hq = game.own_hessians(params)
        curv = max(np.linalg.eigvalsh(-hp).max(initial=0.0), np.linalg.eigvalsh(-hq).max(initial=0.0), 1e-12)
        lr = 1.0 / curv
    steps, res, norm, utils = [np.zeros(0)], [np.zeros(0)], [np.zeros(0)], [np.zeros((0, 2))]
    done, p = 0, params
    while done < max_steps:
        n = min(chunk, max_steps - done)
        new, r, nm, u, k = _flow_chunk(game, p, lr, n, tol)
        if not np.all(np.isfinite(r)) or (k > 0 and r[-1] > 2.0 * r[0]):
            lr *= 0.5
            if lr < 1e-12:
                break
            continue
        first = 0 if done == 0 else 1
        steps.append(np.arange(k + 1)[first:] + done)
        res.append(r[first:])
        norm.append(nm[first:])
        utils.append(u[first:])
        done += k
        p = new
        if r[-1] <= tol or k < n:
            break
        if r[-1] < 0.7 * r[0]:
            lr *= 1.25
        traj = Trajectory("flow", np.concatenate(steps).astype(np.int64), np.concatenate(res),
                          np.concatenate(utils), np.concatenate(norm))
        if on_chunk is not None and on_chunk(p, traj):
            break
    traj = Trajectory("flow", np.concatenate(steps).astype(np.int64), np.concatenate(res),
                      np.concatenate(utils), np.concatenate(norm))
    return p, traj, lr


#: at |natural parameter| >= this on a finite support, probabilities are within e^-30 of 0 or 1
SATURATION = 30.0


def _natural_extent(game: Game, params: Params) -> float:
    """max |natural parameter| over the finite supports (0 for continuous pairs)."""
    eng = game.engine
    if not hasattr(eng, "psi_Z"):
        return 0.0
    return float(max(np.abs(eng.psi_Z @ params.theta.T).max(), np.abs(eng.chi_X @ params.phi.T).max()))


def saturated(game: Game, params: Params) -> bool:
    """A point where float64 cannot certify an equilibrium: on finite supports some natural parameter
    has |eta| >= SATURATION (probabilities within e^-30 of 0 or 1, gradients below rounding);
    for learned Gaussian variances, a variance <= 1e-9 times the data's scale (the boundary of the
    domain). Runs that end there have left every compact set, whatever their residual."""
    if _natural_extent(game, params) >= SATURATION:
        return True
    out = []
    for player, par in ((game.decoder, params.theta), (game.encoder, params.phi)):
        fam = player.family
        if isinstance(fam, GaussianLearned):
            out.append(float((-0.5 / par[fam.dim:, -1]).min()))
    if not out:
        return False
    scale = max(1.0, float(np.max(np.diag(game.data.moments()[1]))))
    return min(out) <= 1e-9 * scale


def _newton_polish(game: Game, params: Params, tol: float, max_iter: int = 60):
    state, traj = alg.run(game, alg.newton(game, tol=tol), params, max_iter, tol=tol)
    return state.params, traj


# -- solve ---------------------------------------------------------------------------------------
def solve(game: Game, method: str = "auto", seed: int | None = 0, init: Params | None = None,
          tol: float = 1e-10, max_steps: int = 20000, lr: float | None = None, batch_size: int = 256,
          progress: bool = False) -> EquilibriumResult:
    """Find an equilibrium of ``game`` from ``init`` (default ``game.init(seed)``) and certify it."""
    if method not in METHODS:
        raise ValueError(f"method: expected one of {METHODS}, got {method!r}")
    check_positive(tol, "tol")
    check_int(max_steps, "max_steps", minimum=1)
    params = game.init(seed=seed) if init is None else game._check(init)
    if not game.exact and method != "stochastic":
        raise ValueError(f"method: {game.name} has no exact engine; use method='stochastic'")
    escape = None
    if method == "auto":
        params, traj, escape, reason = _auto(game, params, tol, max_steps, lr, progress)
    elif method == "stochastic":
        algo = alg.stochastic(game, lr=lr, batch_size=batch_size, seed=seed, exact_every=100 if game.exact else 0)
        state, traj = alg.run(game, algo, params, max_steps, progress=progress)
        params, reason = state.params, f"{max_steps} stochastic steps (batch {batch_size})"
    else:
        algo = {"simultaneous": lambda: alg.simultaneous(game, 0.5 if lr is None else lr),
                "alternating": lambda: alg.alternating(game, 0.5 if lr is None else lr),
                "best-response": lambda: alg.best_response_iteration(game),
                "newton": lambda: alg.newton(game, tol=tol)}[method]()
        state, traj = alg.run(game, algo, params, max_steps, tol=tol, progress=progress)
        params, reason = state.params, f"{method} iteration"
    if escape is None:
        escape = escape_test(traj.steps, traj.param_norm, traj.residual)
    return _certify(game, params, traj, method, reason, escape, tol)


def _stalled(traj: Trajectory) -> bool:
    """After >= 2000 steps, the residual fell by less than half over the last half of the run."""
    t = traj.iterations
    if t < 2000:
        return False
    half = np.searchsorted(traj.steps, t // 2)
    return bool(traj.residual[-1] > 0.5 * traj.residual[half])


def _auto(game: Game, params: Params, tol: float, max_steps: int, lr: float | None, progress: bool = False):
    """Flow, then Newton polish; if the flow stalls (stiff directions, e.g. learned variances),
    best-response iteration, then Newton polish. A polished point with an eigenvalue of positive
    real part (a saddle the flow passed near) is kept only as a fallback while the flow goes on: the
    default method aims for a stable equilibrium. Returns (params, trajectory, escape test, reason)."""
    scale = max(1.0, game.residual(params))
    polish_at = 1e-4 * scale
    traj, used, escape, fallback = None, 0, None, None

    def on_chunk(p, tr):
        if progress:
            print(f"\rflow: step {tr.iterations}/{max_steps} residual {tr.residual[-1]:.3e} "
                  f"|params| {tr.param_norm[-1]:.4g}", end="", file=sys.stderr, flush=True)
        return _stalled(tr) and not escape_test(tr.steps, tr.param_norm, tr.residual).escaping

    def polish(start: Params):
        """(point, trajectory, not strictly unstable) of a Newton polish that lands close to ``start``
        on a non-saturated equilibrium; point is None otherwise."""
        polished, ptraj = _newton_polish(game, start, tol)
        moved = np.linalg.norm(game.flatten(polished) - game.flatten(start))
        if ptraj.residual[-1] > tol or moved > 1.0 + 0.1 * start.norm() or saturated(game, polished):
            return None, ptraj, False
        eig = game.spectrum(polished)
        return polished, ptraj, bool(eig.real.max() <= 1e-7 * max(1.0, float(np.abs(eig).max())))

    while used < max_steps:
        p, piece, lr = gradient_flow(game, params, max_steps - used, polish_at, lr, on_chunk=on_chunk)
        if progress:
            print(file=sys.stderr)
        traj = piece if traj is None else traj.concat(piece)
        used = traj.iterations
        params = p
        escape = escape_test(traj.steps, traj.param_norm, traj.residual)
        polished, ptraj, settled = polish(params)      # also rescues a slow approach that looked like an escape
        if polished is not None:
            if settled:
                return polished, traj.concat(ptraj), escape, "gradient flow, then Newton polish"
            fallback = fallback or (polished, traj.concat(ptraj))
        if escape.escaping and traj.residual[-1] > polish_at:
            return params, traj, escape, "parameters grow like log(t) while the residual shrinks"
        if traj.residual[-1] > polish_at:        # the flow stalled or ran out of budget
            state, btraj = alg.run(game, alg.best_response_iteration(game), params, 200, tol=polish_at)
            polished, ptraj, settled = polish(state.params)
            if polished is not None:
                if settled:
                    return (polished, traj.concat(btraj).concat(ptraj), escape,
                            "gradient flow (stalled), best-response iteration, then Newton polish")
                fallback = fallback or (polished, traj.concat(btraj).concat(ptraj))
            if used >= max_steps or not _stalled(traj):
                break
            params, traj = state.params, traj.concat(btraj)
            continue
        polish_at *= 1e-2                        # no settled point near the flow yet: follow it closer
        if polish_at < tol:
            break
    if fallback is not None:
        return (*fallback, escape, "the flow did not settle; Newton found an equilibrium near it with an "
                                   "eigenvalue of positive real part")
    return params, traj, escape, "step budget exhausted"


def _certify(game: Game, params: Params, traj: Trajectory, method: str, reason: str, escape: EscapeTest,
             tol: float) -> EquilibriumResult:
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
    flow_like = method in ("auto", "simultaneous", "alternating", "stochastic")
    grew = flow_like and traj.param_norm.size > 1 and traj.param_norm[-1] > traj.param_norm[0]
    diverged = bool(escape.escaping and residual > tol) or bool(at_boundary and (escape.escaping or grew))
    if at_boundary:
        reason += ("; the end point is saturated (a natural parameter beyond +-30 or a vanishing learned "
                   "variance): no equilibrium can be certified there")
    # a recession direction holds for every opponent: no finite equilibrium exists at all
    certified = [pl for pl in ("decoder", "encoder") if game.recession_certificate(pl) is not None]
    if certified:
        diverged = True
        reason += (f"; the {' and '.join(certified)}'s supremum is never attained (recession direction): "
                   "no finite equilibrium exists")
    converged = bool(game.exact and residual <= tol and not diverged and not at_boundary)
    if not game.exact:
        reason += "; no exact engine: residual is a Monte Carlo estimate, convergence not certified"
    return EquilibriumResult(
        params=params, converged=converged, diverged=diverged, residual=float(residual), nash_gap=float(gap),
        jacobian_eigenvalues=stab.eigenvalues if stab else eig, stable=bool(stab and stab.stable and converged),
        iterations=traj.iterations, method=method, reason=reason,
        orbit_dimension=stab.orbit_dimension if stab else 0,
        neutral_directions=stab.neutral_directions if stab else 0,
        max_stable_step=stab.max_stable_step if stab else 0.0, invariants=invariants, trajectory=traj,
        escape=escape, best_response_attained=attained, game_name=game.name)
