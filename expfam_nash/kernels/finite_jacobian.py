"""The game Jacobian of a small finite game in one compiled call (the fused kernel's Jacobian).

With the weights and means of one evaluation (:func:`.finite_game.evaluate_into`), on the free
coordinates (theta[mask_p] row-major, then phi[mask_q]):

    J_thth = -sum_j CW_j^1 Cov_p(T | z_j) (x) psi_j psi_j^T - rho diag(pen_p)        (and its mirror J_phph)
    J_thph = (1-alpha) sum_{i in data, j} pi(x_i) q(z_j|x_i) [(T_i - mu_p,j) (x) psi_j] [(S_j - mu_q,i) (x) chi_i]^T
    J_phth = (1-alpha) sum_{x in X, j}   pi(z_j) p(x|z_j)  [(S_j - mu_q,x) (x) chi_x] [(T_x - mu_p,j) (x) psi_j]^T

(the labelled term does not depend on the other player, so it enters only the diagonal blocks).
The cross blocks are summed per latent point j: K_j[a, c, e] = sum_i w_ij (T_i - mu_p,j)_a
(S_j - mu_q,i)_c chi_i,e, then J_thph[(a, b), (c, e)] += psi_j,b K_j[a, c, e] -- (m n l) work per
pair instead of (m k)(n l). The pair weights are products of bit probabilities (Bernoulli) or
exponentials of log-probabilities (categorical), as in the evaluation. The reference is the
engine's blocked NumPy path (``FiniteEngine._jacobian_blocked``).
"""
from __future__ import annotations

import math

import numpy as np
from numba import njit

from .codes import BERNOULLI
from .finite_sums import _bit_probabilities, evaluate_into, workspace


@njit(cache=True)
def _hessian_into(code, feats, mu, off, weights, out):
    """out -= sum_r w_r Cov_r (x) f_r f_r^T over the rows r with w_r != 0; Cov_r from the means
    (Bernoulli: diag(mu off); categorical: diag(mu) - mu mu^T)."""
    m, k = mu.shape[1], feats.shape[1]
    for r in range(feats.shape[0]):
        w = weights[r]
        if w == 0.0:
            continue
        for a in range(m):
            for a2 in range(m):
                if code == BERNOULLI:
                    if a != a2:
                        continue
                    cov = mu[r, a] * off[r, a]
                else:
                    cov = (mu[r, a] if a == a2 else 0.0) - mu[r, a] * mu[r, a2]
                c = w * cov
                if c == 0.0:
                    continue
                for b in range(k):
                    cb = c * feats[r, b]
                    for b2 in range(k):
                        out[a * k + b, a2 * k + b2] -= cb * feats[r, b2]


@njit(cache=True)
def _conditional_table(code, e_rows, b_rows, mu_rows, off_rows, rows, s_cols, logg_cols, s_cols_t, prob, out):
    """out[i, j] = q(col j | row rows[i]) for a conditional with natural parameters e_rows (log
    partition b_rows): products of bit probabilities (Bernoulli) or exp of the log-probability."""
    nj = s_cols.shape[0]
    for i in range(rows.shape[0]):
        r = rows[i]
        if code == BERNOULLI:
            _bit_probabilities(mu_rows, off_rows, r, s_cols_t, prob)
            for j in range(nj):
                out[i, j] = prob[j]
        else:
            for j in range(nj):
                lq = logg_cols[j] - b_rows[r]
                for c in range(s_cols.shape[1]):
                    lq += s_cols[j, c] * e_rows[r, c]
                out[i, j] = math.exp(lq)


@njit(cache=True, fastmath={"reassoc", "contract"})
def _dot_rows(x, y, out, scale):
    """out[a, q] = scale * sum_i x[a, i] y[q, i] (rows of unit stride; the sums are reassociated
    into vector lanes)."""
    for a in range(x.shape[0]):
        for q in range(y.shape[0]):
            acc = 0.0
            for i in range(x.shape[1]):
                acc += x[a, i] * y[q, i]
            out[a, q] = scale * acc


@njit(cache=True)
def _cross_block(w, y_rows, rows, mu_cols, psi_cols, s_cols, mu_rows, chi_rows, out):
    """out[(a, b), (c, e)] += sum_{i, j} w[i, j] (y_{r_i} - mu_cols_j)_a psi_j,b (s_j - mu_rows_{r_i})_c chi_{r_i},e
    (r_i = rows[i]), summed per column j: K_j = A_j B_j^T with A_j[a, i] = w_ij (y_{r_i} - mu_cols_j)_a and
    B_j[(c, e), i] = (s_j - mu_rows_{r_i})_c chi_{r_i},e (centred differences: no cancellation when a
    probability saturates), then out += psi_j (x) K_j."""
    m, k = mu_cols.shape[1], psi_cols.shape[1]
    n, l = mu_rows.shape[1], chi_rows.shape[1]
    ni = rows.shape[0]
    kj = np.empty((m, n * l))
    aj = np.empty((m, ni))
    bj = np.empty((n * l, ni))
    y_t, mu_t, chi_t = np.empty((m, ni)), np.empty((n, ni)), np.empty((l, ni))   # the rows' tables, transposed
    for i in range(ni):
        r = rows[i]
        for a in range(m):
            y_t[a, i] = y_rows[r, a]
        for c in range(n):
            mu_t[c, i] = mu_rows[r, c]
        for e in range(l):
            chi_t[e, i] = chi_rows[r, e]
    d = np.empty(ni)
    for j in range(w.shape[1]):
        for a in range(m):
            mj = mu_cols[j, a]
            for i in range(ni):
                aj[a, i] = w[i, j] * (y_t[a, i] - mj)
        for c in range(n):
            sj = s_cols[j, c]
            for i in range(ni):
                d[i] = sj - mu_t[c, i]
            for e in range(l):
                for i in range(ni):
                    bj[c * l + e, i] = d[i] * chi_t[e, i]
        _dot_rows(aj, bj, kj, 1.0)
        for a in range(m):
            for b in range(k):
                pb = psi_cols[j, b]
                if pb == 0.0:
                    continue
                for q in range(n * l):
                    out[a * k + b, q] += pb * kj[a, q]


@njit(cache=True)
def _gather(src, rows, cols, dst, r0, c0):
    for i in range(rows.shape[0]):
        for j in range(cols.shape[0]):
            dst[r0 + i, c0 + j] = src[rows[i], cols[j]]


@njit(cache=True)
def jacobian(code_p, code_q, theta, phi, t_x, logh_x, chi_x, s_z, logg_z, psi_z, data_idx, pi_d, pi_z,
             lab_idx, lab_table, alpha, rho, pen_p, pen_q, free_p, free_q, pen_free_p, pen_free_q):
    """The game Jacobian on the free coordinates (see the module docstring); ``free_p``/``free_q``
    are the flat indices of the free entries of theta/phi, ``pen_free_*`` the penalty mask on them."""
    m, k = theta.shape
    n, l = phi.shape
    nz, nx = psi_z.shape[0], chi_x.shape[0]
    ws = workspace(t_x, s_z)
    g_p, g_q = np.empty(theta.shape), np.empty(phi.shape)
    evaluate_into(code_p, code_q, theta, phi, t_x, logh_x, chi_x, s_z, logg_z, psi_z, data_idx, pi_d, pi_z,
                  lab_idx, lab_table, alpha, rho, pen_p, pen_q, ws, g_p, g_q)
    e_z, a_z, mu_z, off_z, e_x, b_x, mu_x, off_x, cw, rw = ws[:10]
    prob = ws[14]
    h_p, h_q = np.zeros((m * k, m * k)), np.zeros((n * l, n * l))
    _hessian_into(code_p, psi_z, mu_z, off_z, np.ascontiguousarray(cw[:, m]), h_p)
    _hessian_into(code_q, chi_x, mu_x, off_x, np.ascontiguousarray(rw[:, n]), h_q)
    j_pq, j_qp_t = np.zeros((m * k, n * l)), np.zeros((m * k, n * l))     # J_thph and J_phth^T
    scale = 1.0 - alpha
    if scale > 0:
        q = np.empty((data_idx.shape[0], nz))             # (1-alpha) pi(x_i) q(z_j | x_i), data rows
        _conditional_table(code_q, e_x, b_x, mu_x, off_x, data_idx, s_z, logg_z, ws[16], prob, q)
        for i in range(q.shape[0]):
            sp = scale * pi_d[i]
            for j in range(nz):
                q[i, j] = sp * q[i, j]
        _cross_block(q, t_x, data_idx, mu_z, psi_z, s_z, mu_x, chi_x, j_pq)
        p_t = np.empty((nz, nx))                           # p(x | z_j), all of X
        _conditional_table(code_p, e_z, a_z, mu_z, off_z, np.arange(nz), t_x, logh_x, ws[15], prob, p_t)
        p = np.empty((nx, nz))                             # (1-alpha) pi(z_j) p(x | z_j)
        for j in range(nz):
            sp = scale * pi_z[j]
            for i in range(nx):
                p[i, j] = sp * p_t[j, i]
        _cross_block(p, t_x, np.arange(nx), mu_z, psi_z, s_z, mu_x, chi_x, j_qp_t)
    fp, fq = free_p.shape[0], free_q.shape[0]
    out = np.empty((fp + fq, fp + fq))
    _gather(h_p, free_p, free_p, out, 0, 0)
    _gather(j_pq, free_p, free_q, out, 0, fp)
    _gather(j_qp_t.T, free_q, free_p, out, fp, 0)
    _gather(h_q, free_q, free_q, out, fp, fp)
    for i in range(fp):
        out[i, i] -= rho * pen_free_p[i]
    for i in range(fq):
        out[fp + i, fp + i] -= rho * pen_free_q[i]
    return out
