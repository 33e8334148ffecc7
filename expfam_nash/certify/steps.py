"""``max_stable_step``: the largest step size lr for which v <- v + lr g(v) stays locally stable.

For a Hurwitz J, |1 + lr lambda| < 1 holds iff lr < -2 Re(lambda) / |lambda|^2 for every
eigenvalue, so the stable step sizes form the interval (0, lr_max). A Stein certificate at
lr_lo (I + lr_lo J has every eigenvalue inside the unit disk, for every J in the enclosure) and an
indefinite one at lr_hi (an eigenvalue outside) bracket lr_max in (lr_lo, lr_hi), rigorously.
On a symmetry orbit or a continuum the transversal matrix Y is used (the zero eigenvalues along
the manifold give |1 + lr 0| = 1: neutral, not unstable).
"""
from __future__ import annotations

import numpy as np

from ..core.verdict import Verdict
from .equilibrium import certify_equilibrium
from .linalg import balance, similar
from .lyapunov import inertia
from .results import StepCertificate


def _estimate(J) -> float:
    Jh = similar(J, balance(J.mid)).mid
    lam = np.linalg.eigvals(Jh)
    lam = lam[np.abs(lam) > 0]
    if lam.size == 0 or not np.all(lam.real < 0):
        return float("nan")
    return float(np.min(-2.0 * lam.real / np.abs(lam) ** 2))


def max_stable_step(game, params=None, *, certificate=None, method: str = "auto",
                    rel: tuple[float, ...] = (1e-6, 1e-3, 1e-1)) -> StepCertificate:
    """Bracket the largest stable step (see the module docstring). Give ``certificate`` (from
    :func:`certify_equilibrium`) or ``params``."""
    cert = certificate if certificate is not None else certify_equilibrium(game, params, method=method)
    if not cert.existence.holds:
        return StepCertificate(cert.game, Verdict.undecided("no certified equilibrium"), 0.0, np.inf, np.nan)
    if cert.stability.status.value == "refuted":
        return StepCertificate(cert.game, Verdict.refuted("the flow itself is unstable: no step size is stable",
                                                          upper=0.0), 0.0, 0.0, 0.0)
    J = cert.transversal if cert.transversal is not None else cert.jacobian
    if J is None or not cert.stability.holds:
        return StepCertificate(cert.game, Verdict.undecided("stability of the flow not certified"), 0.0, np.inf, np.nan)
    est = _estimate(J)
    if not np.isfinite(est):
        return StepCertificate(cert.game, Verdict.undecided("no floating-point estimate"), 0.0, np.inf, est)
    linalg = "arb" if cert.method == "arb" else "ball"
    lo_best, hi_best = 0.0, np.inf
    for r in rel:
        lo, hi = est * (1.0 - r), est * (1.0 + r)
        if lo_best == 0.0 and inertia(J, linalg, lr=lo).status == "stable":
            lo_best = lo
        if not np.isfinite(hi_best) and inertia(J, linalg, lr=hi).status == "unstable":
            hi_best = hi
        if lo_best > 0 and np.isfinite(hi_best):
            return StepCertificate(cert.game, Verdict.certified(
                f"the largest stable step lies in ({lo_best:.6g}, {hi_best:.6g})", lower=lo_best, upper=hi_best),
                lo_best, hi_best, est)
    return StepCertificate(cert.game, Verdict.undecided(
        f"bracket not certified (stable at {lo_best:.4g}, unstable from {hi_best:.4g})"), lo_best, hi_best, est)
