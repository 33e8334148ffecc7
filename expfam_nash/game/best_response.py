"""Best responses: each player's concave maximisation, solved by damped Newton.

    maximise_x f(x),  f concave:  solve (-H + mu I) d = g,  backtrack until Armijo holds.

The maximum counts as reached when the Newton decrement g.d / 2 (the quadratic model's remaining
increase) is <= tol^2 max(1, |f|). The decrement is invariant under affine changes of the
parameters (units of the data, scaled lifts), the gradient norm is not: a test on |g| would stop
or not depending on the units. Far from the maximiser of a utility of size |f| ~ 1e170 the
decrement is ~|f|, so the Nash gap does not read 0 there. Only when no Newton step exists is
|g| <= tol max(1, |f|) used instead.

A finite maximiser may not exist (e.g. logistic regression on separable data). The iteration
reports ``attained=False`` when the natural parameters leave the range where float64 can
still tell probabilities from 0 and 1 (``max |eta| > natural_bound``) while f keeps
increasing, or when the iteration budget ends without meeting the tolerance.

Every loop is bounded (iterations, step halvings, the growth of the Newton damping mu), and a
utility, gradient or Hessian that overflows float64 is never passed on: at the start it is a
NonFiniteError (no best response can be computed there), later the last finite iterate is
returned with ``attained=False`` and the reason.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Callable

import numpy as np

from ..core.jsonable import jsonable
from ..core.validation import NonFiniteError
from .engine import is_network
from .players import check_player
from .recession import NotDecided, recession_direction


@dataclass(frozen=True)
class Maximisation:
    x: np.ndarray
    value: float
    gradient_norm: float
    iterations: int
    attained: bool
    reason: str
    #: a recession direction certifying that the supremum is not attained (None otherwise)
    escape_direction: np.ndarray | None = None

    def summary(self) -> str:
        state = "attained" if self.attained else "NOT attained"
        return (f"maximum {state} ({self.reason}): value {self.value:.12g}, |grad| {self.gradient_norm:.3g}, "
                f"{self.iterations} Newton steps")

    def to_dict(self) -> dict:
        return jsonable({"x": self.x, "value": self.value, "gradient_norm": self.gradient_norm,
                         "iterations": self.iterations, "attained": self.attained, "reason": self.reason,
                         "escape_direction": self.escape_direction})


#: the default Newton budget of a best response. A degenerate maximum (the utility flat to higher
#: than second order along some direction) makes full Newton steps converge only linearly: the
#: thorough profile found an encoder (Fourier lift, one data point) whose maximiser at |x| ~ 430
#: needs 359 full steps, converging at a rate of about 0.97 per step.
MAX_NEWTON_ITERATIONS = 1000


def newton_maximise(fgh: Callable[[np.ndarray], tuple[float, np.ndarray, np.ndarray]],
                    value: Callable[[np.ndarray], float], x0: np.ndarray,
                    natural_size: Callable[[np.ndarray], float],
                    in_domain: Callable[[np.ndarray], bool] = lambda x: True,
                    tol: float = 1e-10, max_iter: int = MAX_NEWTON_ITERATIONS,
                    natural_bound: float = 35.0) -> Maximisation:
    """Damped Newton ascent on a concave f given by ``fgh(x) = (f, grad, Hessian)``."""
    x = np.array(x0, dtype=np.float64)
    with np.errstate(all="ignore"):
        f, g, h = fgh(x)
        if not _finite(f, g, h):
            raise NonFiniteError("params: the best response's utility, gradient or Hessian is not finite in "
                                 "float64 at its start point; no best response can be computed there")
        for it in range(1, max_iter + 1):
            scale = max(1.0, abs(f))
            gnorm = float(np.linalg.norm(g))
            step = _newton_step(h, g)
            if _reached(g, step, gnorm, tol, scale):
                return Maximisation(x, f, gnorm, it - 1, True, "Newton decrement below tolerance")
            if natural_size(x) > natural_bound:
                return Maximisation(x, f, gnorm, it - 1, False,
                                    f"natural parameters beyond {natural_bound:g} while the utility still increases: "
                                    "the supremum is approached at infinity")
            if step is None:
                return Maximisation(x, f, gnorm, it - 1, False, "no finite Newton step (the Hessian cannot be "
                                    "regularised into a solvable system)")
            cand, fc = _line_search(x, f, float(g @ step), step, value, in_domain, scale)
            if cand is None:
                return Maximisation(x, f, gnorm, it, _reached(g, step, gnorm, 1e-7, scale),
                                    "line search stalled at the numerical limit")
            fn, gn, hn = fgh(cand)
            if not _finite(fn, gn, hn):
                return Maximisation(x, f, gnorm, it, False, "the gradient or Hessian overflows float64 beyond this "
                                    "iterate; the maximum was not reached")
            x, f, g, h = cand, fn, gn, hn
        scale = max(1.0, abs(f))
        gnorm = float(np.linalg.norm(g))
        step = _newton_step(h, g)
        done = _reached(g, step, gnorm, tol, scale)
    return Maximisation(x, f, gnorm, max_iter, done, "iteration budget exhausted")


def _reached(g: np.ndarray, step: np.ndarray | None, gnorm: float, tol: float, scale: float) -> bool:
    """The Newton decrement g.d / 2 <= tol^2 max(1, |f|) (unit-free; in coordinates where the
    Hessian is ~ -I this is |g| <= tol up to a factor sqrt 2); |g| <= tol max(1, |f|) only when
    there is no Newton step."""
    if step is None:
        return gnorm <= tol * scale
    return 0.5 * float(g @ step) <= tol * tol * scale


def _finite(*values) -> bool:
    return all(np.all(np.isfinite(v)) for v in values)


#: the Newton damping mu grows by 100x at most this many times (from 1e-12 relative to 1e108)
MAX_DAMPING_TRIES = 60


def _newton_step(h: np.ndarray, g: np.ndarray) -> np.ndarray | None:
    """Solve (-H + mu I) d = g with the smallest mu (1e-12 relative, x100 per try) that gives a
    finite d; None if none does within ``MAX_DAMPING_TRIES``."""
    neg_h = -0.5 * (h + h.T)
    mu = 1e-12 * max(1.0, float(np.abs(np.diag(neg_h)).max(initial=0.0)))
    for _ in range(MAX_DAMPING_TRIES):
        try:
            step = np.linalg.solve(neg_h + mu * np.eye(len(g)), g)
            if np.all(np.isfinite(step)):
                return step
        except np.linalg.LinAlgError:
            pass
        mu *= 100.0
    return None


def _line_search(x, f, slope, step, value, in_domain, scale):
    """Backtracking (Armijo) from t = 1, halving down to 1e-12: (point, value) or (None, None)."""
    t = 1.0
    while t > 1e-12:
        cand = x + t * step
        if np.all(np.isfinite(cand)) and in_domain(cand):
            fc = value(cand)
            if np.isfinite(fc) and fc >= f + 1e-4 * t * slope - 1e-15 * scale:
                return cand, fc
        t *= 0.5
    return None, None


@dataclass(frozen=True)
class BestResponses:
    """Both players' best responses at a point and the resulting Nash gap."""

    decoder: Maximisation
    encoder: Maximisation
    utilities: tuple[float, float]

    @property
    def gaps(self) -> tuple[float, float]:
        gaps = (self.decoder.value - self.utilities[0], self.encoder.value - self.utilities[1])
        if not all(np.isfinite(gaps)):      # max(0, nan) would be 0: a NaN is never a gap of zero
            raise NonFiniteError("nash_gap: a utility or best-response value is not finite")
        return (max(0.0, gaps[0]), max(0.0, gaps[1]))

    @property
    def nash_gap(self) -> float:
        """sum_players (best-response utility - current utility); a lower bound when a supremum is not attained."""
        return float(sum(self.gaps))

    @property
    def attained(self) -> bool:
        return self.decoder.attained and self.encoder.attained

    def summary(self) -> str:
        return (f"Nash gap {self.nash_gap:.4g} (decoder {self.gaps[0]:.3g}, encoder {self.gaps[1]:.3g})\n"
                f"  decoder: {self.decoder.summary()}\n  encoder: {self.encoder.summary()}")

    def to_dict(self) -> dict:
        return jsonable({"nash_gap": self.nash_gap, "gaps": self.gaps, "attained": self.attained,
                         "utilities": self.utilities, "decoder": self.decoder, "encoder": self.encoder})


def recession(game, player: str) -> tuple[bool, np.ndarray | None]:
    """(decided, direction) of the player's recession certificate (``game.recession``), cached on the
    game: the positively weighted pairs do not depend on the parameters."""
    cache = game.__dict__.setdefault("_recession_cache", {})
    if player not in cache:
        me = game.player(player)
        finite = game.finite_support
        try:
            if finite is None:
                raise NotDecided("no finite engine")
            free = me.mask & ~(me.penalty_mask if game.rho > 0 else np.zeros_like(me.mask))
            cache[player] = (True, recession_direction(me.family, *finite.weighted_pairs(player), free))
        except NotDecided:
            cache[player] = (False, None)
    return cache[player]


#: |natural parameter| beyond which probabilities of a finite family are within e^-35 of 0 or 1
SATURATED = 35.0


def _neutral_start(game, player: str) -> np.ndarray:
    """The player's free parameters with zero weights and the bias at its target's natural
    parameter (the start of ``game.init`` without noise)."""
    me = game.player(player)
    if is_network(game):      # several factors, no single lift: the collapsed point
        p = game.collapsed_point()
        return ((p.theta if player == "decoder" else p.phi) * me.mask)[me.mask]
    par = np.zeros(me.shape)
    if me.lift.bias_index is not None:
        par[:, me.lift.bias_index] = game.natural_start(player)
    return (par * me.mask)[me.mask]


def _better_from_neutral(result: Maximisation, neutral: np.ndarray, value, in_domain, run) -> Maximisation:
    """A maximum that the neutral start beats is no maximum: far out (|f| ~ 1e300) Newton's local
    model can call a point attained that is not. One evaluation checks it; if the neutral start is
    better, Newton runs from there and the better result is kept."""
    with np.errstate(all="ignore"):
        try:
            v = value(neutral) if in_domain(neutral) else -np.inf
        except ValueError:
            return result
    if not np.isfinite(v) or v <= result.value + 1e-12 * max(1.0, abs(result.value)):
        return result
    try:
        again = run(neutral)
    except NonFiniteError:
        return result
    return again if again.value >= result.value else result


def best_response(game, params, player: str, tol: float = 1e-10, max_iter: int = MAX_NEWTON_ITERATIONS) -> Maximisation:
    """argmax of the player's own utility with the other player fixed (damped Newton, from the
    current point). With an exact certificate of attainment Newton runs until it converges; the
    bound on the natural parameters is a heuristic used only where no certificate was computed; a
    recession direction marks the result unattained. A start whose natural parameters are
    saturated (beyond +-35, where the utility's slope is below float64's resolution of its value)
    is replaced by the neutral start: the best response does not depend on it."""
    dec = check_player(player) == "decoder"
    p = game.check(params)
    eng = game.need_engine()
    me = game.player(player)
    mask = me.mask

    def full(x):
        arr = np.zeros(me.shape)
        arr[mask] = x
        return (arr, p.phi) if dec else (p.theta, arr)

    value = lambda x: eng.evaluate(*full(x))[0 if dec else 1]
    finite = game.finite_support
    feats = None if finite is None else finite.support_features(player)
    natural_size = (lambda x: float(np.abs(feats @ full(x)[0 if dec else 1].T).max())) if feats is not None \
        else (lambda x: 0.0)
    decided, direction = recession(game, player)
    bound = SATURATED if finite is not None and (direction is not None or not decided) else np.inf
    x0 = (p.theta if dec else p.phi)[mask]
    if natural_size(x0) > SATURATED:    # a saturated start: float64 cannot see the slope there; start afresh
        x0 = _neutral_start(game, player)
    run = lambda start: newton_maximise(lambda x: eng.player_objective(*full(x), player), value, start,  # noqa: E731
                                        natural_size, lambda x: eng.in_domain(*full(x)), tol=tol,
                                        max_iter=max_iter, natural_bound=bound)
    neutral = _neutral_start(game, player)
    try:
        result = run(x0)
    except NonFiniteError:              # the current point overflows; the neutral start may not
        result = run(neutral)
    else:
        result = _better_from_neutral(result, neutral, value, lambda x: eng.in_domain(*full(x)), run)
    if direction is not None:
        result = replace(result, attained=False, escape_direction=direction,
                         reason="recession direction found: the supremum is approached only at infinity "
                                "(value is the last Newton iterate, a lower bound)")
    return result
