"""``independent_nash_gap``: a Nash gap that is evidence, not a tautology.

Certified bound. Each player's utility U is concave in its own parameters (every player is an
exponential family whose natural parameter is linear in them). If -Hess U >= mu I on the box
B = theta +- r (certified in ball arithmetic, the opponent held fixed) and 2 |grad U(theta)| / mu < r,
then on the sphere |y - theta| = r' (r' in (2|g|/mu, r]) U(y) <= U(theta) + |g| r' - mu r'^2 / 2 < U(theta),
so by concavity the supremum is attained inside the ball, and strong concavity there gives

    sup U - U(theta) <= |grad U(theta)|^2 / (2 mu).

Floating-point evidence. Best responses computed by the game's damped Newton from starts that are
NOT the current point (weights 0 with the bias at the target marginal, and a random start): their
values minus the current utilities.
"""
from __future__ import annotations

import numpy as np

from ..core.verdict import Verdict
from . import adapters
from .adapters import Unsupported
from .ball import grow
from .enclosure import Enclosure, OutsideDomain
from .linalg import lambda_min_lower
from .results import NashGapCertificate


def _player_bound(enc: Enclosure, v: np.ndarray, sl: slice, g, linalg: str) -> dict:
    gnorm = float(grow(float(np.sqrt(np.sum(g.upper_abs() ** 2))), sl.stop - sl.start + 3))
    if gnorm == 0.0:
        return {"bound": 0.0, "mu": float("nan"), "radius": 0.0, "status": "certified"}
    H = -enc.float_jacobian(v)[sl, sl]
    est = float(np.linalg.eigvalsh(0.5 * (H + H.T))[0])
    if not est > 0:
        return {"status": "undecided", "reason": "the player's utility is not strongly concave at the point"}
    r = 4.0 * gnorm / est
    for _ in range(3):
        radius = np.zeros(v.size)
        radius[sl] = r
        try:
            Hb = -enc.jacobian(v, radius)[sl, sl]
        except OutsideDomain:
            return {"status": "undecided", "reason": "the ball leaves the natural domain"}
        mu = lambda_min_lower(Hb, linalg)
        if mu > 0 and float(grow(2.0 * gnorm / mu, 2)) < r:
            return {"bound": float(grow(gnorm * gnorm / (2.0 * mu), 3)), "mu": mu, "radius": r,
                    "status": "certified"}
        r = r * 0.25 if mu > 0 and 2.0 * gnorm / mu < 0.25 * r else r * 0.5
    return {"status": "undecided", "reason": "strong concavity not certified on a ball holding the maximiser"}


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


def independent_nash_gap(game, params, *, method: str = "auto", seed: int = 0) -> NashGapCertificate:
    """A certified upper bound of the Nash gap at ``params`` and the gap from independent starts."""
    v = adapters.flatten(game, params)
    per, bound = {}, 0.0
    try:
        enc = Enclosure(game, method)
        g = enc.gradient(v)
        linalg = "arb" if enc.method == "arb" else "ball"
        for player, sl in (("decoder", slice(0, enc.n_theta)), ("encoder", slice(enc.n_theta, enc.size))):
            per[player] = _player_bound(enc, v, sl, g[sl], linalg)
            bound = bound + per[player]["bound"] if per[player]["status"] == "certified" else float("inf")
    except (Unsupported, OutsideDomain) as exc:
        per = {"reason": str(exc)}
        bound = float("inf")
    independent, detail = _independent(game, v, seed)
    if np.isfinite(bound):
        verdict = Verdict.certified(f"Nash gap <= {bound:.3g} (strong concavity of each player's utility on a "
                                    "certified ball)", bound=bound)
    else:
        verdict = Verdict.undecided("no certified bound: " + "; ".join(
            f"{k}: {p.get('reason', '')}" for k, p in per.items() if isinstance(p, dict) and p.get("status") != "certified"),
            independent=independent)
    return NashGapCertificate(game.name, verdict, bound, per, independent, detail)
