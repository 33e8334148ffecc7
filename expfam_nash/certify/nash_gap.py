"""``independent_nash_gap``: a Nash gap that is evidence, not a tautology.

Certified bound, per player (its utility U is concave in its own parameters: each player is an
exponential family whose natural parameter is linear in them). Let y be a floating-point best
response and D = y - x (x the current parameters).

1. U(y) - U(x) = <g(x), D> + D^T H(xi) D / 2 for some xi on the segment (Taylor), so
   U(y) - U(x) <= <g(x), D> + (D^T Hm D + |D|^T Hr |D|) / 2 with H(X) = Hm +- Hr enclosing the
   Hessian on the box hull(x, y).
2. If -H >= mu I on the box B = y +- r (certified) and 2 |g(y)| / mu < r, then on every sphere
   |z - y| = r' in (2|g(y)|/mu, r], U(z) <= U(y) + |g(y)| r' - mu r'^2 / 2 < U(y); by concavity the
   supremum is attained inside, and strong concavity there gives sup U - U(y) <= |g(y)|^2 / (2 mu).

So sup U - U(x) <= (1) + (2), whatever the Newton iteration did: a zero gap is evidence.

Floating-point evidence beside it: best responses computed by the game's damped Newton from
starts that are NOT the current point (weights 0 with the bias at the target marginal, and a
random start), minus the current utilities.
"""
from __future__ import annotations

import numpy as np

from ..core.verdict import Verdict
from . import adapters, box_kernels
from .adapters import Unsupported
from .ball import Ball, grow
from .enclosure import Enclosure, OutsideDomain
from .linalg import lambda_min_lower, product
from .results import NashGapCertificate


def _taylor_upper(enc: Enclosure, x: np.ndarray, y: np.ndarray, sl: slice, g_x: Ball, linalg: str) -> float:
    """Upper bound of U(y) - U(x) (step 1 of the module docstring), all in ball arithmetic."""
    delta = (Ball.exact(y[sl]) - x[sl]).reshape(-1, 1)                # D = y - x, enclosed
    lo, hi = np.minimum(x, y), np.maximum(x, y)
    center = 0.5 * (lo + hi)
    radius = grow(np.maximum(hi - center, center - lo), 1)             # the box hull(x, y), outward
    H = enc.jacobian(center, radius)[sl, sl]
    first = product(g_x.reshape(1, -1), delta, linalg)
    quad = product(delta.T, product(H, delta, linalg), linalg)
    total = first + quad * 0.5
    return float(grow(float(total.mid.ravel()[0] + total.rad.ravel()[0]), 1))


def _at_maximiser(enc: Enclosure, y: np.ndarray, sl: slice, linalg: str):
    """(bound of sup U - U(y), mu, radius) or None (step 2 of the module docstring)."""
    g = enc.gradient(y)[sl]
    gnorm = _norm_upper(g)
    H = -enc.float_jacobian(y)[sl, sl]
    est = float(np.linalg.eigvalsh(0.5 * (H + H.T))[0])
    if not est > 0:
        return None
    r = max(3.0 * gnorm / est, 1e-300)
    for _ in range(4):
        radius = np.zeros(y.size)
        radius[sl] = r
        mu = lambda_min_lower(-enc.jacobian(y, radius)[sl, sl], linalg)
        if not mu > 0:
            r *= 0.25
            continue
        need = float(grow(2.0 * gnorm / mu, 2))
        if need < r:
            return float(grow(gnorm * gnorm / (2.0 * mu), 3)), mu, r
        r = 1.5 * need
    return None


def _player_bound(enc: Enclosure, game, x: np.ndarray, player: str, sl: slice, g_x: Ball, linalg: str) -> dict:
    y, attained = adapters.best_response_point(game, x, player)
    if not attained:
        return {"status": "undecided", "reason": "the best response is not attained (the supremum may be at infinity)"}
    try:
        tail = _at_maximiser(enc, y, sl, linalg)
        if tail is None:
            return {"status": "undecided", "reason": "strong concavity not certified around the best response"}
        climb = _taylor_upper(enc, x, y, sl, g_x[sl], linalg)
    except OutsideDomain:
        return {"status": "undecided", "reason": "the boxes leave the natural domain"}
    bound = float(grow(max(climb, 0.0) + tail[0], 1))
    return {"status": "certified", "bound": bound, "mu": tail[1], "radius": tail[2],
            "distance_to_best_response": float(np.max(np.abs(y - x))) if x.size else 0.0}


def _independent(game, v: np.ndarray, seed: int) -> tuple[float, dict]:
    u = adapters.utilities(game, v)
    starts = {"collapsed": adapters.init(game, seed, 0.0), "random": adapters.init(game, seed + 1, 1.0)}
    total, detail = 0.0, {}
    for i, player in enumerate(("decoder", "encoder")):
        best, info = -np.inf, {}
        for name, start in starts.items():
            value, attained, reason = adapters.best_response_value(game, v, player, start)
            info[name] = {"value": value, "attained": attained}
            best = max(best, value)
        detail[player] = dict(info, gap=max(0.0, best - u[i]))
        total += detail[player]["gap"]
    return total, detail


def _norm_upper(g: Ball) -> float:
    return float(grow(float(np.sqrt(np.sum(g.upper_abs() ** 2))), g.size + 3))


def _own_margin(J: Ball, sl: slice, linalg: str) -> float:
    """Lower bound of lambda_min(-sym(J_pp)) over the enclosure (compiled for the ball method)."""
    if linalg == "ball":
        try:
            return float(box_kernels.own_block_margin(np.ascontiguousarray(J.mid), np.ascontiguousarray(J.rad),
                                                    sl.start, sl.stop))
        except (np.linalg.LinAlgError, ValueError):
            return -np.inf
    return lambda_min_lower(-J[sl, sl], linalg)


def gap_from_certificate(game, cert) -> NashGapCertificate | None:
    """A certified Nash-gap bound at ``cert.center`` from the certificate's own enclosures, with no
    best response computed (step 2 of the module docstring with y = the center): per player, the
    own Hessian is the diagonal block J_pp of J, enclosed on the Krawczyk box X (the other player
    at its center, inside X); with mu_p = certified lambda_min(-J(X)_pp) and r = the smallest box
    radius over the player's coordinates (a Euclidean ball of radius r lies in X),
    2 |g_p| / mu_p < r gives sup U_p - U_p(center) <= |g_p|^2 / (2 mu_p). None when the
    certificate has no full box or the inequality fails (then :func:`independent_nash_gap` is the
    way)."""
    if not (cert.existence.holds and cert.route == "full" and cert.gradient is not None
            and cert.jacobian is not None and cert.box_radius is not None):
        return None
    linalg = "arb" if cert.method == "arb" else "ball"
    n_theta = int(game.decoder.mask.sum())
    n = cert.center.size
    per, total = {}, 0.0
    for player, sl in (("decoder", slice(0, n_theta)), ("encoder", slice(n_theta, n))):
        if sl.stop <= sl.start:
            per[player] = {"status": "certified", "bound": 0.0, "mu": float("inf"), "radius": 0.0}
            continue
        mu = _own_margin(cert.jacobian, sl, linalg)                  # the player's own block of J(X)
        gnorm = _norm_upper(cert.gradient[sl])
        r = float(np.min(cert.box_radius[sl]))
        if not (mu > 0 and float(grow(2.0 * gnorm / mu, 2)) < r):
            return None
        bound = float(grow(gnorm * gnorm / (2.0 * mu), 3))
        per[player] = {"status": "certified", "bound": bound, "mu": mu, "radius": r}
        total = float(grow(total + bound, 1))
    verdict = Verdict.certified(f"Nash gap <= {total:.3g} (strong concavity of each player's utility on the "
                                "Krawczyk box; no best response computed)", bound=total)
    return NashGapCertificate(game.name, verdict, total, per, float("nan"), {})


def independent_nash_gap(game, params, *, method: str = "auto", seed: int = 0) -> NashGapCertificate:
    """A certified upper bound of the Nash gap at ``params`` and the gap from independent starts."""
    v = adapters.flatten(game, params)
    per, bound = {}, 0.0
    try:
        enc = Enclosure(game, method)
        g = enc.gradient(v)
        linalg = "arb" if enc.method == "arb" else "ball"
        for player, sl in (("decoder", slice(0, enc.n_theta)), ("encoder", slice(enc.n_theta, enc.size))):
            per[player] = _player_bound(enc, game, v, player, sl, g, linalg)
            bound = bound + per[player]["bound"] if per[player]["status"] == "certified" else float("inf")
    except (Unsupported, OutsideDomain) as exc:
        per = {"reason": str(exc)}
        bound = float("inf")
    independent, detail = _independent(game, v, seed)
    if np.isfinite(bound):
        verdict = Verdict.certified(f"Nash gap <= {bound:.3g} (Taylor bound to a best response, and strong "
                                    "concavity around it)", bound=bound)
    else:
        verdict = Verdict.undecided("no certified bound: " + "; ".join(
            f"{k}: {p.get('reason', '')}" for k, p in per.items() if isinstance(p, dict) and p.get("status") != "certified"),
            independent=independent)
    return NashGapCertificate(game.name, verdict, bound, per, independent, detail)
