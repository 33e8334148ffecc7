"""Symbolic linear-Gaussian pair: decoder N(x; W z + b, S), encoder N(z; V x + c, T), affine lifts.

Natural parameters follow the engine: with fixed variance s the parameter row *is* the mean
coefficient (theta in R^(d x (k+1))); with learned diagonal variance theta in R^(2d x (k+1)), rows
0..d-1 hold eta1 (mean coefficients divided by the variance), rows d..2d-1 only the constant
column, beta = -1/(2 variance) < 0.

The utilities are expectations of log-densities that are quadratic polynomials in the random
variables, so they are computed exactly from first and second moments:

    E f(y) = f(0) + grad f(0) . E[y] + tr(Hess f . E[y y^T]) / 2        (f quadratic in y)

Decoder term: y = (x, eps), z = G_q (x, 1) + eps, x ~ (m, Sigma), eps ~ (0, diag(T)).
Encoder term: y = (z, eps'), x = G_p (z, 1) + eps', z ~ (m_z, Sigma_z), eps' ~ (0, diag(S)).
Labelled term: y = (x, z) from the labelled joint (mean, covariance, x first).
Only the moments enter, so the data need not be Gaussian.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np
import sympy as sp

from ..core.registry import renamed
from .core import SymbolicGame, parameter_matrix
from .families import gaussian_fixed_logpdf, gaussian_learned_logpdf

__all__ = ["expect_quadratic", "linear_gaussian_game", "one_dimensional_game", "natural_parameters_1d"]


def expect_quadratic(expr: sp.Expr, variables: Sequence[sp.Symbol], mean: Sequence, second: sp.Matrix) -> sp.Expr:
    """E[expr] for expr a polynomial of degree <= 2 in ``variables`` with E[y] = mean, E[y y^T] = second."""
    zero = {v: 0 for v in variables}
    g = [sp.diff(expr, v) for v in variables]
    H = sp.hessian(expr, list(variables))
    if any(set(h.free_symbols) & set(variables) for h in H):
        raise ValueError("expect_quadratic: expression is not quadratic in the variables")
    out = expr.subs(zero) + sum(gi.subs(zero) * mi for gi, mi in zip(g, mean))
    out += sum(H[i, j] * second[i, j] for i in range(len(variables)) for j in range(len(variables))) / 2
    return out


def _mask(n: int, m: int, learned: bool) -> np.ndarray:
    """Free entries of a player with target dim n, conditioning dim m (engine convention)."""
    if not learned:
        return np.ones((n, m + 1), bool)
    mask = np.ones((2 * n, m + 1), bool)
    mask[n:, :-1] = False
    return mask


def _channel(par: sp.Matrix, n: int, var):
    """(G, noise variances) of a player: y = G (u, 1) + N(0, diag(noise))."""
    if var is not None:
        return par, [var] * n
    v = [-1 / (2 * par[n + a, par.shape[1] - 1]) for a in range(n)]
    G = sp.Matrix(n, par.shape[1], lambda a, c: par[a, c] * v[a])
    return G, v


def _logpdf(par: sp.Matrix, n: int, var, y: Sequence, u: Sequence) -> sp.Expr:
    f = sp.Matrix(list(u) + [1])
    eta = list(par * f)
    return gaussian_fixed_logpdf(y, eta, var) if var is not None else gaussian_learned_logpdf(y, eta)


def _second(mean: sp.Matrix, cov: sp.Matrix) -> sp.Matrix:
    return cov + mean * mean.T


@renamed(labeled_mean="labelled_mean", labeled_cov="labelled_cov")
def linear_gaussian_game(d: int, k: int, decoder_var=None, encoder_var=None, data_mean=None, data_cov=None,
                         prior_mean=None, prior_cov=None, alpha=0, rho=0, labelled_mean=None,
                         labelled_cov=None) -> SymbolicGame:
    """The symbolic linear-Gaussian pair. ``decoder_var``/``encoder_var``: a number or symbol
    (fixed variance) or None (learned diagonal). Moments may be numbers or symbols; defaults:
    data (0, I), prior (0, I)."""
    m = sp.Matrix(d, 1, lambda i, j: 0) if data_mean is None else sp.Matrix(list(data_mean))
    C = sp.eye(d) if data_cov is None else sp.Matrix(data_cov)
    mz = sp.Matrix(k, 1, lambda i, j: 0) if prior_mean is None else sp.Matrix(list(prior_mean))
    Cz = sp.eye(k) if prior_cov is None else sp.Matrix(prior_cov)
    s = None if decoder_var is None else sp.sympify(decoder_var)
    t = None if encoder_var is None else sp.sympify(encoder_var)
    alpha, rho = sp.sympify(alpha), sp.sympify(rho)
    tmask, pmask = _mask(d, k, s is None), _mask(k, d, t is None)
    theta, phi = parameter_matrix("theta", tmask), parameter_matrix("phi", pmask)
    xs = sp.symbols(f"x0:{d}", real=True)
    zs = sp.symbols(f"z0:{k}", real=True)
    ex = sp.symbols(f"ex0:{d}", real=True)
    ez = sp.symbols(f"ez0:{k}", real=True)
    Gq, tq = _channel(phi, k, t)
    Gp, sp_ = _channel(theta, d, s)
    # decoder: x ~ data, z = Gq (x,1) + ez
    zq = list(Gq * sp.Matrix(list(xs) + [1]) + sp.Matrix(ez))
    mean_p = list(m) + [0] * k
    sec_p = sp.diag(_second(m, C), sp.diag(*tq))
    Lp = expect_quadratic(_logpdf(theta, d, s, xs, zq), list(xs) + list(ez), mean_p, sec_p)
    # encoder: z ~ prior, x = Gp (z,1) + ex
    xp = list(Gp * sp.Matrix(list(zs) + [1]) + sp.Matrix(ex))
    mean_q = list(mz) + [0] * d
    sec_q = sp.diag(_second(mz, Cz), sp.diag(*sp_))
    Lq = expect_quadratic(_logpdf(phi, k, t, zs, xp), list(zs) + list(ex), mean_q, sec_q)
    consts = set()
    for obj in (m, C, mz, Cz, alpha, rho) + tuple(v for v in (s, t) if v is not None):
        consts |= set(sp.sympify(obj).free_symbols)
    if labelled_mean is not None:
        lm, lc = sp.Matrix(list(labelled_mean)), sp.Matrix(labelled_cov)
        consts |= set(lm.free_symbols) | set(lc.free_symbols)
        sec = _second(lm, lc)
        y = list(xs) + list(zs)
        lab_p = expect_quadratic(_logpdf(theta, d, s, xs, zs), y, list(lm), sec)
        lab_q = expect_quadratic(_logpdf(phi, k, t, zs, xs), y, list(lm), sec)
        Lp, Lq = (1 - alpha) * Lp + alpha * lab_p, (1 - alpha) * Lq + alpha * lab_q
    elif alpha != 0:
        raise ValueError("alpha: a labelled weight needs labelled_mean and labelled_cov")
    Lp -= rho / 2 * sum(v ** 2 for v in theta[:, :k])
    Lq -= rho / 2 * sum(v ** 2 for v in phi[:, :d])
    spec = dict(kind="linear_gaussian", d=d, k=k, decoder_var=s, encoder_var=t, data_mean=m, data_cov=C,
                prior_mean=mz, prior_cov=Cz, alpha=alpha, rho=rho, labelled_mean=labelled_mean, labelled_cov=labelled_cov)
    mode = lambda v: "learned" if v is None else "fixed"
    return SymbolicGame(f"linear-gaussian(d={d}, k={k}, decoder {mode(s)}, encoder {mode(t)})", theta, phi,
                        tmask, pmask, Lp, Lq, tuple(sorted(consts, key=str)), spec)


def one_dimensional_game(lam=None, s=None, t=None, decoder_learned: bool = False, encoder_learned: bool = False,
                         rho=0) -> SymbolicGame:
    """The per-eigen-direction reduction: x ~ (0, lam), prior N(0, 1), d = k = 1.
    Symbols ``lam``, ``s``, ``t`` (positive) are used when not given; learned variances ignore s/t."""
    lam = sp.Symbol("lam", positive=True) if lam is None else sp.sympify(lam)
    s = None if decoder_learned else (sp.Symbol("s", positive=True) if s is None else sp.sympify(s))
    t = None if encoder_learned else (sp.Symbol("t", positive=True) if t is None else sp.sympify(t))
    return linear_gaussian_game(1, 1, s, t, [0], [[lam]], rho=rho)


def natural_parameters_1d(w, b, v, c, s, t, decoder_learned: bool, encoder_learned: bool):
    """Engine natural parameters of decoder N(w z + b, s) and encoder N(v x + c, t) (1-D):
    fixed -> [[w, b]]; learned -> [[w/s, b/s], [0, -1/(2 s)]]. Works for numbers and sympy."""
    theta = [[w / s, b / s], [0, -1 / (2 * s)]] if decoder_learned else [[w, b]]
    phi = [[v / t, c / t], [0, -1 / (2 * t)]] if encoder_learned else [[v, c]]
    return theta, phi
