"""Fused Numba kernel for small finite games: the whole evaluation in one compiled call.

Families are passed as integer codes (BERNOULLI, CATEGORICAL) so one kernel serves every
pair of finite families and any lifts (given as feature tables over the supports). It returns
the weighted column sums CW (decoder side) and row sums RW (encoder side) exactly as the
blocked engine in ``game/finite.py`` defines them, plus both utilities and pseudo-gradients;
``evaluate_reference`` is its NumPy reference. ``simultaneous_ascent`` runs the discrete
gradient dynamics theta += lr grad_theta L_p, phi += lr grad_phi L_q entirely in Numba.
"""
from __future__ import annotations

import math

import numpy as np
from numba import njit

from .codes import BERNOULLI, CATEGORICAL  # noqa: F401  (CATEGORICAL: re-exported for callers)
from .finite_sums import _squares, evaluate_into, log_partition_and_mean, workspace


@njit(cache=True)
def evaluate(code_p, code_q, theta, phi, t_x, logh_x, chi_x, s_z, logg_z, psi_z,
             data_idx, pi_d, pi_z, lab_idx, lab_table, alpha, rho, pen_p, pen_q):
    """Returns (L_p, L_q, grad_theta, grad_phi, CW, RW)."""
    ws = workspace(t_x, s_z)
    g_p, g_q = np.empty(theta.shape), np.empty(phi.shape)
    lp, lq = evaluate_into(code_p, code_q, theta, phi, t_x, logh_x, chi_x, s_z, logg_z, psi_z, data_idx, pi_d,
                           pi_z, lab_idx, lab_table, alpha, rho, pen_p, pen_q, ws, g_p, g_q)
    return lp, lq, g_p, g_q, ws[8], ws[9]


@njit(cache=True)
def simultaneous_ascent(code_p, code_q, theta, phi, t_x, logh_x, chi_x, s_z, logg_z, psi_z,
                        data_idx, pi_d, pi_z, lab_idx, lab_table, alpha, rho, pen_p, pen_q,
                        mask_p, mask_q, lr, n_steps, tol):
    """Simultaneous gradient ascent; stops early when |grad| <= tol. One workspace for all steps.

    Returns (theta, phi, residual[t], norm[t], utilities[t, 2], steps): entry t is measured at
    the iterate *before* step t (so residual[0] is at the start)."""
    theta = theta.copy()
    phi = phi.copy()
    residual = np.zeros(n_steps + 1)
    norm = np.zeros(n_steps + 1)
    utils = np.zeros((n_steps + 1, 2))
    ws = workspace(t_x, s_z)
    g_p, g_q = np.empty(theta.shape), np.empty(phi.shape)
    steps = n_steps
    for t in range(n_steps + 1):
        lp, lq = evaluate_into(code_p, code_q, theta, phi, t_x, logh_x, chi_x, s_z, logg_z, psi_z, data_idx, pi_d,
                               pi_z, lab_idx, lab_table, alpha, rho, pen_p, pen_q, ws, g_p, g_q)
        g_p *= mask_p
        g_q *= mask_q
        residual[t] = math.sqrt(_squares(g_p) + _squares(g_q))
        norm[t] = math.sqrt(_squares(theta) + _squares(phi))
        utils[t, 0] = lp
        utils[t, 1] = lq
        if residual[t] <= tol or t == n_steps:
            steps = t
            break
        theta += lr * g_p
        phi += lr * g_q
    return theta, phi, residual[: steps + 1], norm[: steps + 1], utils[: steps + 1], steps


def evaluate_reference(code_p, code_q, theta, phi, t_x, logh_x, chi_x, s_z, logg_z, psi_z,
                       data_idx, pi_d, pi_z, lab_idx, lab_table, alpha, rho, pen_p, pen_q):
    """NumPy reference of :func:`evaluate` (materialises the pair tables)."""
    def nat(feats, par, code):
        eta = feats @ par.T
        if code == BERNOULLI:
            a = (np.maximum(eta, 0) + np.log1p(np.exp(-np.abs(eta)))).sum(1)
            return eta, a, 1 / (1 + np.exp(-eta))
        full = np.concatenate([np.zeros((eta.shape[0], 1)), eta], 1)
        a = np.log(np.exp(full).sum(1))
        return eta, a, np.exp(full - a[:, None])[:, 1:]

    e_z, a_z, mu_z = nat(psi_z, theta, code_p)
    e_x, b_x, mu_x = nat(chi_x, phi, code_q)
    logq = e_x @ s_z.T + logg_z - b_x[:, None]                  # (nx, nz)
    logp = t_x @ e_z.T + logh_x[:, None] - a_z                  # (nx, nz)
    w_p = np.zeros_like(logq)
    w_p[data_idx] += (1 - alpha) * pi_d[:, None] * np.exp(logq[data_idx])
    w_p[lab_idx] += alpha * lab_table
    w_q = (1 - alpha) * pi_z * np.exp(logp)
    w_q[lab_idx] += alpha * lab_table
    lp = np.sum(w_p * logp) - 0.5 * rho * np.sum((pen_p * theta) ** 2)
    lq = np.sum(w_q * logq) - 0.5 * rho * np.sum((pen_q * phi) ** 2)
    g_p = (t_x.T @ w_p @ psi_z) - (mu_z * w_p.sum(0)[:, None]).T @ psi_z - rho * pen_p * theta
    g_q = (s_z.T @ w_q.T @ chi_x) - (mu_x * w_q.sum(1)[:, None]).T @ chi_x - rho * pen_q * phi
    return lp, lq, g_p, g_q


@njit(cache=True)
def kron_weighted_sum(w, cov, feats):
    """sum_r w_r kron(cov_r, f_r f_r^T), an (m k, m k) matrix in row-major (a, b) order."""
    m, k = cov.shape[1], feats.shape[1]
    out = np.zeros((m * k, m * k))
    for r in range(w.shape[0]):
        if w[r] == 0.0:
            continue
        for a in range(m):
            for a2 in range(m):
                c = w[r] * cov[r, a, a2]
                if c == 0.0:
                    continue
                for b in range(k):
                    cb = c * feats[r, b]
                    for b2 in range(k):
                        out[a * k + b, a2 * k + b2] += cb * feats[r, b2]
    return out


def kron_weighted_sum_reference(w, cov, feats):
    m, k = cov.shape[1], feats.shape[1]
    return np.einsum("r,rab,rc,rd->acbd", w, cov, feats, feats).reshape(m * k, m * k)


@njit(cache=True)
def cross_sum(w, t_rows, mu_cols, psi_cols, s_cols, mu_rows, chi_rows):
    """sum_ij w_ij [(T_i - mu_p,j) (x) psi_j][(S_j - mu_q,i) (x) chi_i]^T, an (m k, n l) matrix:
    the score-function form of the Jacobian's off-diagonal blocks."""
    m, k = mu_cols.shape[1], psi_cols.shape[1]
    n, l = mu_rows.shape[1], chi_rows.shape[1]
    out = np.zeros((m * k, n * l))
    gp = np.empty(m * k)
    gq = np.empty(n * l)
    for i in range(w.shape[0]):
        for j in range(w.shape[1]):
            wij = w[i, j]
            if wij == 0.0:
                continue
            for a in range(m):
                da = wij * (t_rows[i, a] - mu_cols[j, a])
                for b in range(k):
                    gp[a * k + b] = da * psi_cols[j, b]
            for c in range(n):
                dc = s_cols[j, c] - mu_rows[i, c]
                for e in range(l):
                    gq[c * l + e] = dc * chi_rows[i, e]
            for p in range(m * k):
                if gp[p] != 0.0:
                    for q in range(n * l):
                        out[p, q] += gp[p] * gq[q]
    return out


def cross_sum_reference(w, t_rows, mu_cols, psi_cols, s_cols, mu_rows, chi_rows):
    dp = t_rows[:, None, :] - mu_cols[None, :, :]
    dq = s_cols[None, :, :] - mu_rows[:, None, :]
    gp = (dp[..., :, None] * psi_cols[None, :, None, :]).reshape(*w.shape, -1)
    gq = (dq[..., :, None] * chi_rows[:, None, None, :]).reshape(*w.shape, -1)
    return np.einsum("ij,ijp,ijq->pq", w, gp, gq)


@njit(cache=True)
def own_hessian(code, feats, par, weights):
    """-sum_r w_r kron(Cov_r, f_r f_r^T) with Cov_r the covariance of T under eta_r = par f_r
    (Bernoulli: diag(mu (1 - mu)); categorical: diag(mu) - mu mu^T), skipping rows of weight 0."""
    m, k = par.shape
    out = np.zeros((m * k, m * k))
    eta = np.empty(m)
    mu = np.empty(m)
    off = np.empty(m)
    cov = np.empty((m, m))
    for r in range(feats.shape[0]):
        w = weights[r]
        if w == 0.0:
            continue
        for a in range(m):
            acc = 0.0
            for b in range(k):
                acc += par[a, b] * feats[r, b]
            eta[a] = acc
        log_partition_and_mean(code, eta, mu, off)
        for a in range(m):
            for a2 in range(m):
                if code == BERNOULLI:
                    cov[a, a2] = mu[a] * off[a] if a == a2 else 0.0
                else:
                    cov[a, a2] = (mu[a] if a == a2 else 0.0) - mu[a] * mu[a2]
        for a in range(m):
            for a2 in range(m):
                c = w * cov[a, a2]
                if c == 0.0:
                    continue
                for b in range(k):
                    cb = c * feats[r, b]
                    for b2 in range(k):
                        out[a * k + b, a2 * k + b2] -= cb * feats[r, b2]
    return out
