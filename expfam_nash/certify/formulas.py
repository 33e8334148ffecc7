"""The exact pseudo-gradients, written once for any ball backend (:class:`~.ball.Ball`,
:class:`~.arb.ArbArray`, or a :class:`~.dual.Dual` over either, which yields the Jacobian by
forward differentiation). ``B`` is the backend class; plain NumPy arrays are exact constants.

Finite pairs (THEORY.md section 2), with m_p = (1-alpha) pi(x) q(z|x) + alpha pi(x, z):

    g_theta = sum_z [ sum_x m_p(x, z) T(x) - (sum_x m_p(x, z)) mu_p(z) ] psi(z)^T - rho pen * theta
    g_phi   = sum_x [ sum_z m_q(x, z) S(z) - (sum_z m_q(x, z)) mu_q(x) ] chi(x)^T - rho pen * phi

Linear-Gaussian pair: each player's gradient is affine in its moments M = E[f f^T],
C = E[y f^T], Q = E[y^2] (``game/linear_gaussian.py`` states the formulas); under the other
player's channel y -> f = H (y, 1) + noise(w) they are M = H R H^T + diag(w, 0), C = R[:n] H^T,
Q = diag R[:n], with R = E[(y,1)(y,1)^T] of the player's target.
"""
from __future__ import annotations

import numpy as np

from .adapters import FiniteArrays, GaussianArrays
from .dual import Dual


def _concat(B, parts, axis=0):
    if any(isinstance(p, Dual) for p in parts):
        return Dual.concatenate(parts, axis)
    return B.concatenate([B.lift(p) for p in parts], axis)


def _where(B, mask, a, b):
    if isinstance(a, Dual):
        return Dual.where(mask, a, b)
    return B.where(mask, a, b)


def _mids(x) -> np.ndarray:
    val = x.val if isinstance(x, Dual) else x
    return val.mid if hasattr(val, "mid") else val.mids()


# -- finite pairs -------------------------------------------------------------------------------
def _family(B, fam: str, eta):
    """(mean statistics at the rows of eta (J, s), table(key) -> p(y_r | row j) of shape (R, J)).
    Bernoulli: sigmoids, p = prod_c (on if y_rc = 1 else off); categorical: softmax with the
    reference class 0, shifted per row by a float constant (an identity in exact arithmetic)."""
    if fam == "bernoulli":
        on, off = eta.sigmoid_pair()

        def table(stats):
            return _where(B, stats[:, None, :] > 0.5, on[None, :, :], off[None, :, :]).prod_last()
        return on, table
    top = np.maximum(_mids(eta).max(axis=1, initial=0.0), 0.0)
    e = (eta - top[:, None]).exp()
    e0 = B.exact(-top).exp()
    inv = (e.sum(axis=1) + e0).recip()
    probs = _concat(B, [(inv * e0)[:, None], e * inv[:, None]], axis=1)       # (J, K)

    def table(classes):
        return probs[:, classes].swap_last()
    return probs[:, 1:], table


def finite_gradient(B, fa: FiniteArrays, theta, phi):
    """(g_theta (m, k), g_phi (n, l)) for ball arrays or Duals ``theta``, ``phi``."""
    keep = B.exact(1.0) - fa.alpha                                         # 1 - alpha, enclosed
    mu_z, dec_table = _family(B, fa.fam_p, fa.psi_Z @ theta.T)            # at every z: (nz, m)
    nu_x, enc_table = _family(B, fa.fam_q, fa.chi_X @ phi.T)              # at every x: (nx, n)
    x_key = fa.T_X if fa.fam_p == "bernoulli" else fa.cls_X
    z_key = fa.S_Z if fa.fam_q == "bernoulli" else fa.cls_Z
    # decoder: x from the data rows, z ~ q(z|x)
    w_p = enc_table(z_key).swap_last()[fa.data_index] * (keep * fa.pi_D)[:, None]   # (nd, nz)
    tw = w_p.swap_last() @ fa.T_X[fa.data_index]                                    # (nz, m)
    cw = w_p.sum(axis=0)
    # encoder: z from the prior rows, x ~ p(x|z)
    w_q = dec_table(x_key)[:, fa.prior_index] * (keep * fa.pi_P)[None, :]          # (nx, np)
    sw = w_q @ fa.S_Z[fa.prior_index]                                               # (nx, n)
    rw = w_q.sum(axis=1)
    if fa.lab is not None:
        lab = B.exact(fa.lab) * fa.alpha
        tw, cw = tw + lab.swap_last() @ fa.T_X, cw + lab.sum(axis=0)
        sw, rw = sw + lab @ fa.S_Z, rw + lab.sum(axis=1)
    g_theta = (tw - mu_z * cw[:, None]).swap_last() @ fa.psi_Z - theta * (fa.rho * fa.pen_p)
    g_phi = (sw - nu_x * rw[:, None]).swap_last() @ fa.chi_X - phi * (fa.rho * fa.pen_q)
    return g_theta, g_phi


# -- the linear-Gaussian pair ---------------------------------------------------------------------
def second_moment(B, mean: np.ndarray, cov: np.ndarray):
    """E[(y,1)(y,1)^T] = [[cov + m m^T, m], [m^T, 1]], enclosed."""
    top = B.exact(mean)[:, None] * mean[None, :] + cov
    bottom = B.exact(np.append(mean, 1.0)[None, :])
    return B.concatenate([B.concatenate([top, B.exact(mean[:, None])], axis=1), bottom], axis=0)


def _points_moment(B, pts: np.ndarray, w: np.ndarray):
    f = np.column_stack([pts, np.ones(pts.shape[0])])
    return (B.exact(f.T) * w[None, :]) @ f


def _channel(B, par, var, n: int):
    """The player's conditional as y = G f + N(0, diag(w)): fixed variance: G = par, w = var;
    learned: G = eta1 v, w = v = -1 / (2 beta)."""
    if var is not None:
        return par, np.full(n, var)
    v = (par[n:, -1] * -2.0).recip()
    return par[:n] * v[:, None], v


def _player_gradient(B, par, var, n: int, other, R, lab, alpha: float, rho: float):
    G, w = other
    m = G.shape[0]
    e_last = np.zeros(n + 1)
    e_last[-1] = 1.0
    H = _concat(B, [G, e_last[None, :]], axis=0)                         # (m+1, n+1)
    M = H @ R @ H.T + _concat(B, [w, np.zeros(1)])[:, None] * np.eye(m + 1)
    C = R[:n] @ H.T
    Q = R[np.arange(n), np.arange(n)]
    if alpha > 0:
        keep = B.exact(1.0) - alpha
        M, C, Q = M * keep + lab[0] * alpha, C * keep + lab[1] * alpha, Q * keep + lab[2] * alpha
    pen = np.ones(par.shape)
    pen[:, -1] = 0.0
    if var is not None:
        return (C - par @ M) / var - par * (rho * pen)
    eta1, beta = par[:n], par[n:, -1]
    eM = eta1 @ M
    half_inv = (beta * 2.0).recip()                                       # 1 / (2 beta)
    g1 = C + eM * half_inv[:, None] - eta1 * (rho * pen[:n])
    gb = Q - (eM * eta1).sum(axis=1) * half_inv.square() + half_inv
    f_last = np.zeros(m + 1)
    f_last[-1] = 1.0
    return _concat(B, [g1, gb[:, None] * f_last[None, :]], axis=0)


def gaussian_gradient(B, ga: GaussianArrays, theta, phi):
    """(g_theta, g_phi) of the linear-Gaussian pair (full shapes) for ball arrays or Duals."""
    d, k = ga.d, ga.k
    R_x = _points_moment(B, ga.data_points, ga.data_weights) if ga.data_mean is None \
        else second_moment(B, ga.data_mean, ga.data_cov)
    R_z = second_moment(B, ga.prior_mean, ga.prior_cov)
    lab_p = lab_q = None
    if ga.alpha > 0:
        R = second_moment(B, ga.lab_mean, ga.lab_cov)
        x_idx, z_idx, one = np.arange(d), d + np.arange(k), np.array([d + k])
        for_p, for_q = (x_idx, np.concatenate([z_idx, one])), (z_idx, np.concatenate([x_idx, one]))
        lab_p, lab_q = ((R[np.ix_(f, f)], R[np.ix_(y, f)], R[y, y]) for y, f in (for_p, for_q))
    g_theta = _player_gradient(B, theta, ga.dec_var, d, _channel(B, phi, ga.enc_var, k), R_x, lab_p,
                               ga.alpha, ga.rho)
    g_phi = _player_gradient(B, phi, ga.enc_var, k, _channel(B, theta, ga.dec_var, d), R_z, lab_q,
                             ga.alpha, ga.rho)
    return g_theta, g_phi
