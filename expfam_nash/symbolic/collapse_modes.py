"""Per-mode problems of the collapse models, solved by sympy (proofs/collapse_*.md reduce the matrix
problems to these; ``expfam_nash.collapse.theory`` is the NumPy transcription the tests compare).

VAE mode (eigenvalue lam, t = s^2 >= 0 the squared decoder singular value, c = beta eta_dec^2 / eta_enc^2),
after the encoder mean map (and, when learned, the encoder variance) has been minimised out:

    learned Sigma:  h(t) = beta lam / (eta_enc^2 (t + c)) + beta log(1 + t / c)
    Sigma = v I:    h(t) = beta lam / (eta_enc^2 (t + c)) + v t / eta_dec^2

HVAE level-1 mode (eigenvalue lam of A, mu = t + sigma1^2 the eigenvalue of C1 = E[z1 z1^T]):

    covered by a level-2 latent:  f2(mu) = lam sigma1^2 / (mu eta_dec^2) + beta1 phi(mu)
    not covered:                  f1(mu) = lam sigma1^2 / (mu eta_dec^2) + beta1 mu / eta_dec^2

with phi the per-mode minimum of the level-2 VAE (beta' = beta2 / beta1, eigenvalue mu): phi(mu) =
mu / eta_dec^2 below its threshold kappa, the VAE's active value above it.
"""
from __future__ import annotations

from functools import lru_cache

import sympy as sp

__all__ = ["LAM", "BETA", "EE", "ED", "V", "TT", "MU", "SIG1", "SIG2", "B1", "B2", "vae_mode_objective",
           "vae_mode", "sigma_profile", "level2_phi", "hvae_mode"]

LAM, BETA, EE, ED, V, TT, MU = sp.symbols("lam beta eta_enc eta_dec v t mu", positive=True)
SIG1, SIG2, B1, B2 = sp.symbols("sigma1 sigma2 beta1 beta2", positive=True)
A_COL = sp.Symbol("a", nonnegative=True)      # squared norm of a decoder column
SIGSQ = sp.Symbol("varsigma", positive=True)  # an encoder variance


#: a generic point (large eigenvalue) used only to pick the branch of a root
_GENERIC = {LAM: 100, BETA: 1, EE: 1, ED: 1, V: 1, MU: 100, SIG1: 1, SIG2: 1, B1: 1, B2: 1}


def _c(beta=BETA, ee=EE, ed=ED):
    return beta * ed ** 2 / ee ** 2


def vae_mode_objective(learned: bool, lam=LAM, beta=BETA, ee=EE, ed=ED, v=V, t=TT) -> sp.Expr:
    """h(t): the per-mode loss of the VAE as a function of t = s^2 (encoder minimised out)."""
    c = _c(beta, ee, ed)
    if learned:
        return beta * lam / (ee ** 2 * (t + c)) + beta * sp.log(1 + t / c)
    return beta * lam / (ee ** 2 * (t + c)) + v * t / ed ** 2


def sigma_profile() -> dict[str, sp.Expr]:
    """The learned encoder variance of one latent coordinate whose decoder column has squared norm a:
    minimise g(s2) = s2 (a / eta_dec^2 + beta / eta_enc^2) - beta log s2 + beta (log eta_enc^2 - 1)."""
    g = SIGSQ * (A_COL / ED ** 2 + BETA / EE ** 2) - BETA * sp.log(SIGSQ) + BETA * (sp.log(EE ** 2) - 1)
    roots = sp.solve(sp.diff(g, SIGSQ), SIGSQ)
    star = roots[0]
    return {"objective": g, "roots": roots, "variance": star, "value": sp.simplify(g.subs(SIGSQ, star)),
            "curvature": sp.diff(g, SIGSQ, 2)}


@lru_cache(maxsize=None)
def vae_mode(learned: bool) -> dict[str, sp.Expr]:
    """Stationary point, threshold, value, encoder std and encoder singular value of one VAE mode.

    ``slope``: h'(t) times a positive factor, a strictly increasing function of t (so h is unimodal
    and t* = max(0, root) is its unique minimiser on t >= 0); ``threshold``: the lam at which the
    root is 0 (active iff lam > threshold)."""
    h = vae_mode_objective(learned)
    c = _c()
    roots = [r for r in sp.solve(sp.diff(h, TT), TT)]
    root = [r for r in roots if r.subs(_GENERIC) > 0][0]     # the root that is positive for large lam
    factor = (TT + c) ** 2 / BETA if learned else (TT + c) ** 2 * ED ** 2 / V
    slope = sp.simplify(sp.diff(h, TT) * factor)
    threshold = [s for s in sp.solve(sp.Eq(root, 0), LAM) if s.is_positive is not False][0]
    out = {"objective": h, "roots": roots, "t": root, "slope": slope, "threshold": threshold,
           "loss_active": sp.simplify(h.subs(TT, root)), "loss_collapsed": sp.simplify(h.subs(TT, 0)),
           "encoder_sv": sp.sqrt(root) / (root + c)}
    if learned:
        std2 = sigma_profile()["variance"].subs(A_COL, root)
        out["variance"] = sp.simplify(std2)
        out["variance_collapsed"] = sp.simplify(sigma_profile()["variance"].subs(A_COL, 0))
    else:
        out["variance"] = out["variance_collapsed"] = V
    return out


@lru_cache(maxsize=None)
def level2_phi(learned: bool) -> dict[str, sp.Expr]:
    """phi(mu): the level-2 VAE's per-mode minimum (beta' = beta2 / beta1, eigenvalue mu, Sigma2 learned
    or = sigma2^2 I) and its threshold kappa in mu; the sigma2 constant is not part of phi."""
    bp = B2 / B1
    m = vae_mode(learned)
    sub = {LAM: MU, BETA: bp, V: SIG2 ** 2}
    return {"active": sp.simplify(m["loss_active"].subs(sub)), "collapsed": sp.simplify(m["loss_collapsed"].subs(sub)),
            "kappa": sp.simplify(m["threshold"].subs(sub))}


@lru_cache(maxsize=None)
def hvae_mode(learned: bool) -> dict[str, sp.Expr]:
    """The covered level-1 mode: psi(mu) = mu^2 eta_dec^2 f2'(mu) on each piece of phi, its roots, and the
    thresholds; and the uncovered mode's f1 and root."""
    phi = level2_phi(learned)
    base = LAM * SIG1 ** 2 / (MU * ED ** 2)
    f_low = base + B1 * phi["collapsed"]                  # mu <= kappa: phi = mu / eta_dec^2
    f_high = base + B1 * phi["active"]                    # mu >  kappa
    psi_low = sp.simplify(sp.diff(f_low, MU) * MU ** 2 * ED ** 2)
    psi_high = sp.simplify(sp.diff(f_high, MU) * MU ** 2 * ED ** 2)
    root_low = [r for r in sp.solve(psi_low, MU) if r.is_positive is not False][0]
    root_high = [r for r in sp.solve(psi_high, MU) if r.is_positive is not False][0]
    kappa = phi["kappa"]
    # regime boundary: the low root reaches kappa
    lam_break = [s for s in sp.solve(sp.Eq(root_low, kappa), LAM) if s.is_positive is not False][0]
    # level 1 active iff the root exceeds sigma1^2: one threshold per piece
    thr_low = [s for s in sp.solve(sp.Eq(root_low, SIG1 ** 2), LAM) if s.is_positive is not False][0]
    thr_high = [s for s in sp.solve(sp.Eq(root_high, SIG1 ** 2), LAM) if s.is_positive is not False][0]
    f_unc = base + B1 * MU / ED ** 2
    return {"f_low": f_low, "f_high": f_high, "psi_low": psi_low, "psi_high": psi_high, "root_low": root_low,
            "root_high": root_high, "kappa": kappa, "lam_break": sp.simplify(lam_break),
            "threshold_low": sp.simplify(thr_low), "threshold_high": sp.simplify(thr_high),
            "f_uncovered": f_unc, "root_uncovered": root_low}
