"""Best responses: each player's concave maximisation, solved by damped Newton.

    maximise_x f(x),  f concave:  solve (-H + mu I) d = g,  backtrack until Armijo holds.

A finite maximiser may not exist (e.g. logistic regression on separable data). The iteration
reports ``attained=False`` when the natural parameters leave the range where float64 can
still tell probabilities from 0 and 1 (``max |eta| > natural_bound``) while f keeps
increasing, or when the iteration budget ends without meeting the tolerance.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Callable

import numpy as np

from ..core.jsonable import jsonable
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


def newton_maximise(fgh: Callable[[np.ndarray], tuple[float, np.ndarray, np.ndarray]],
                    value: Callable[[np.ndarray], float], x0: np.ndarray,
                    natural_size: Callable[[np.ndarray], float],
                    in_domain: Callable[[np.ndarray], bool] = lambda x: True,
                    tol: float = 1e-10, max_iter: int = 200, natural_bound: float = 35.0) -> Maximisation:
    """Damped Newton ascent on a concave f given by ``fgh(x) = (f, grad, Hessian)``."""
    x = np.array(x0, dtype=np.float64)
    f, g, h = fgh(x)
    scale = max(1.0, abs(f))
    for it in range(1, max_iter + 1):
        gnorm = float(np.linalg.norm(g))
        if gnorm <= tol * scale:
            return Maximisation(x, f, gnorm, it - 1, True, "gradient below tolerance")
        if natural_size(x) > natural_bound:
            return Maximisation(x, f, gnorm, it - 1, False,
                                f"natural parameters beyond {natural_bound:g} while the utility still increases: "
                                "the supremum is approached at infinity")
        neg_h = -0.5 * (h + h.T)
        mu = 1e-12 * max(1.0, float(np.abs(np.diag(neg_h)).max(initial=0.0)))
        while True:
            try:
                step = np.linalg.solve(neg_h + mu * np.eye(len(x)), g)
                if np.all(np.isfinite(step)):
                    break
            except np.linalg.LinAlgError:
                pass
            mu *= 100.0
        t, slope = 1.0, float(g @ step)
        while t > 1e-12:
            cand = x + t * step
            if in_domain(cand):
                fc = value(cand)
                if np.isfinite(fc) and fc >= f + 1e-4 * t * slope - 1e-15 * scale:
                    break
            t *= 0.5
        else:
            return Maximisation(x, f, gnorm, it, gnorm <= 1e-7 * scale, "line search stalled at the numerical limit")
        x = cand
        f, g, h = fgh(x)
    gnorm = float(np.linalg.norm(g))
    return Maximisation(x, f, gnorm, max_iter, gnorm <= tol * scale, "iteration budget exhausted")


@dataclass(frozen=True)
class BestResponses:
    """Both players' best responses at a point and the resulting Nash gap."""

    decoder: Maximisation
    encoder: Maximisation
    utilities: tuple[float, float]

    @property
    def gaps(self) -> tuple[float, float]:
        return (max(0.0, self.decoder.value - self.utilities[0]), max(0.0, self.encoder.value - self.utilities[1]))

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


def best_response(game, params, player: str, tol: float = 1e-10, max_iter: int = 200) -> Maximisation:
    """argmax of the player's own utility with the other player fixed (damped Newton, from the
    current point). With an exact certificate of attainment Newton runs until it converges; the
    bound on the natural parameters is a heuristic used only where no certificate was computed; a
    recession direction marks the result unattained."""
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
    bound = 35.0 if finite is not None and (direction is not None or not decided) else np.inf
    result = newton_maximise(lambda x: eng.player_objective(*full(x), player), value, (p.theta if dec else p.phi)[mask],
                             natural_size, lambda x: eng.in_domain(*full(x)), tol=tol, max_iter=max_iter,
                             natural_bound=bound)
    if direction is not None:
        result = replace(result, attained=False, escape_direction=direction,
                         reason="recession direction found: the supremum is approached only at infinity "
                                "(value is the last Newton iterate, a lower bound)")
    return result
