"""The evaluation core of the fused finite-game kernel (``kernels.finite_game``), allocation-free.

:func:`evaluate_into` computes both utilities and pseudo-gradients into a :func:`workspace`: the
natural parameters, log-partitions and means of both sides (:func:`_natural_into`), the weighted
column sums CW and row sums RW of ``game/finite.py`` (:func:`_pair_sums_into`), then the
utilities and gradients. Every sum is formed in a fixed order (data rows, then labelled pairs), so
the flow, a single evaluation and the Jacobian's evaluation give the same numbers to the last bit.
Rows are indexed, never sliced (a slice is a new array: reference counting in the hot loop).
"""
from __future__ import annotations

import math

import numpy as np
from numba import njit

from .codes import BERNOULLI


@njit(cache=True, inline="always")
def _log_partition_row(code, eta, r, mu, off):
    """A(eta[r]) for one row of natural parameters; writes the mean map into ``mu[r]`` and, for
    Bernoulli, P(bit = 0) = sigmoid(-eta) into ``off[r]`` (both from one exp(-|eta|) per bit).
    Rows are indexed, not sliced (a slice is a new array: reference counting in the hot loop)."""
    m = eta.shape[1]
    if code == BERNOULLI:
        total = 0.0
        for c in range(m):
            e = eta[r, c]
            t = math.exp(-abs(e))
            total += max(e, 0.0) + math.log1p(t)
            big = 1.0 / (1.0 + t)                    # sigmoid(|e|)
            small = t / (1.0 + t)                    # sigmoid(-|e|)
            mu[r, c] = big if e > 0 else small       # selects, not branches (random signs mispredict)
            off[r, c] = small if e > 0 else big
        return total
    top = 0.0
    for c in range(m):
        top = max(top, eta[r, c])
    s = math.exp(-top)
    for c in range(m):
        mu[r, c] = math.exp(eta[r, c] - top)
        s += mu[r, c]
    for c in range(m):
        mu[r, c] /= s
    return top + math.log(s)


@njit(cache=True)
def log_partition_and_mean(code, eta, mu, off):
    """A(eta) for one natural parameter row; writes the mean map into ``mu`` and, for Bernoulli,
    P(bit = 0) = sigmoid(-eta) into ``off`` (both from one exp(-|eta|) per bit)."""
    return _log_partition_row(code, eta.reshape(1, -1), 0, mu.reshape(1, -1), off.reshape(1, -1))


@njit(cache=True)
def _natural_into(feats, par, code, eta, a, mu, off):
    """eta = feats par^T row by row, then A(eta_r), the mean and (Bernoulli) P(bit = 0) per row."""
    n, k = feats.shape
    m = par.shape[0]
    for r in range(n):
        for c in range(m):
            acc = 0.0
            for b in range(k):
                acc += feats[r, b] * par[c, b]
            eta[r, c] = acc
    for r in range(n):
        a[r] = _log_partition_row(code, eta, r, mu, off)


@njit(cache=True)
def _natural_rows(feats, par, code):
    n, m = feats.shape[0], par.shape[0]
    eta, a, mu, off = np.empty((n, m)), np.empty(n), np.empty((n, m)), np.empty((n, m))
    _natural_into(feats, par, code, eta, a, mu, off)
    return eta, a, mu, off


@njit(cache=True, inline="always")
def _transpose_product_into(d, f, out):
    """out = d^T f for small matrices (explicit loops: cheaper than a BLAS call at these sizes)."""
    out[:] = 0.0
    for r in range(d.shape[0]):
        for a in range(d.shape[1]):
            da = d[r, a]
            if da != 0.0:
                for b in range(f.shape[1]):
                    out[a, b] += da * f[r, b]


@njit(cache=True)
def workspace(t_x, s_z):
    """The scratch arrays of :func:`evaluate_into` (|Z| = nz, |X| = nx, statistics of sizes m, n):
    natural parameters, log-partitions, means and P(bit = 0) of both sides, CW and RW, their
    transposes, the deviations, a probability row, and T(x)^T, S(z)^T (unit stride over the
    support, so the pair loops vectorise across it)."""
    nx, m = t_x.shape
    nz, n = s_z.shape
    return (np.empty((nz, m)), np.empty(nz), np.empty((nz, m)), np.empty((nz, m)),
            np.empty((nx, n)), np.empty(nx), np.empty((nx, n)), np.empty((nx, n)),
            np.empty((nz, m + 2)), np.empty((nx, n + 2)), np.empty((m + 2, nz)), np.empty((n + 2, nx)),
            np.empty((nz, m)), np.empty((nx, n)), np.empty(max(nx, nz)),
            np.ascontiguousarray(t_x.T), np.ascontiguousarray(s_z.T))


@njit(cache=True, inline="always")
def _bit_probabilities(p1, p0, row, bits_t, prob):
    """prob[j] = prod_c (p1[row, c] if bits_t[c, j] > 0.5 else p0[row, c]), the factors multiplied
    in the order c = 0, 1, ... (as a scalar loop would: the same rounding), vectorised over j."""
    nj = bits_t.shape[1]
    for j in range(nj):
        prob[j] = 1.0
    for c in range(bits_t.shape[0]):
        a, b = p1[row, c], p0[row, c]
        for j in range(nj):
            prob[j] *= a if bits_t[c, j] > 0.5 else b


@njit(cache=True, inline="always")
def _accumulate(acc_t, w, nj, feats, row, extra):
    """acc_t[:, j] += w[j] (feats[row], 1, extra) for j < nj: a rank-one update over the columns j
    (each accumulator receives its terms in the caller's order)."""
    f = feats.shape[1]
    for c in range(f):
        v = feats[row, c]
        for j in range(nj):
            acc_t[c, j] += w[j] * v
    for j in range(nj):
        acc_t[f, j] += w[j]
    for j in range(nj):
        acc_t[f + 1, j] += w[j] * extra


@njit(cache=True, inline="always")
def _pair_sums_into(code_p, code_q, t_x, logh_x, s_z, logg_z, data_idx, pi_d, pi_z, lab_idx, lab_table,
                    alpha, ws):
    """CW (decoder side) and RW (encoder side) of the module docstring, written into ws[8], ws[9].

    For a Bernoulli side a conditional probability is a product of bit probabilities (mu =
    P(bit = 1), off = P(bit = 0) = sigmoid(-eta) for accuracy): no exponential per pair. Each
    entry of CW and RW receives its terms in a fixed order (data rows, then labelled pairs), the
    same as the scalar loops of ``evaluate_reference``'s derivation."""
    e_z, a_z, mu_z, off_z, e_x, b_x, mu_x, off_x, cw, rw, cw_t, rw_t, _, _, prob, t_t, s_t = ws
    nz, m = e_z.shape
    nx, n = e_x.shape
    cw_t[:] = 0.0
    rw_t[:] = 0.0
    scale = 1.0 - alpha
    if scale > 0:
        for i in range(data_idx.shape[0]):          # decoder: x from the data, z ~ q(z|x); lanes over z
            r = data_idx[i]
            sp = scale * pi_d[i]
            if code_q == BERNOULLI:
                _bit_probabilities(mu_x, off_x, r, s_t, prob)
            else:
                for j in range(nz):
                    lq = logg_z[j] - b_x[r]
                    for c in range(n):
                        lq += s_z[j, c] * e_x[r, c]
                    prob[j] = math.exp(lq)
            for j in range(nz):
                prob[j] = sp * prob[j]
            _accumulate(cw_t, prob, nz, t_x, r, logh_x[r])
        for j in range(nz):                          # encoder: z from the prior, x ~ p(x|z); lanes over x
            if pi_z[j] == 0.0:
                continue
            sp = scale * pi_z[j]
            if code_p == BERNOULLI:
                _bit_probabilities(mu_z, off_z, j, t_t, prob)
            else:
                for r in range(nx):
                    lp = logh_x[r] - a_z[j]
                    for c in range(m):
                        lp += t_x[r, c] * e_z[j, c]
                    prob[r] = math.exp(lp)
            for r in range(nx):
                prob[r] = sp * prob[r]
            _accumulate(rw_t, prob, nx, s_z, j, logg_z[j])
    for j in range(nz):
        for c in range(m + 2):
            cw[j, c] = cw_t[c, j]
    for r in range(nx):
        for c in range(n + 2):
            rw[r, c] = rw_t[c, r]
    for i in range(lab_idx.shape[0]):                # labelled pairs, weight alpha
        r = lab_idx[i]
        for j in range(nz):
            wl = alpha * lab_table[i, j]
            if wl == 0.0:
                continue
            for c in range(m):
                cw[j, c] += wl * t_x[r, c]
            cw[j, m] += wl
            cw[j, m + 1] += wl * logh_x[r]
            for c in range(n):
                rw[r, c] += wl * s_z[j, c]
            rw[r, n] += wl
            rw[r, n + 1] += wl * logg_z[j]


@njit(cache=True, inline="always")
def _from_sums(e, a, mu, sums, dev):
    """sum_r <sums_r[:m], e_r> - sums_r[m] a_r + sums_r[m + 1], and dev_r = sums_r[:m] - sums_r[m] mu_r."""
    m = e.shape[1]
    total = 0.0
    for j in range(e.shape[0]):
        total += sums[j, m + 1] - sums[j, m] * a[j]
        for c in range(m):
            total += sums[j, c] * e[j, c]
            dev[j, c] = sums[j, c] - sums[j, m] * mu[j, c]
    return total


@njit(cache=True, inline="always")
def _penalise(total, grad, par, rho, pen):
    if not rho > 0:     # rho = 0: no term at all (0 * theta^2 would be NaN where theta^2 overflows)
        return total
    for a in range(par.shape[0]):
        for b in range(par.shape[1]):
            total -= 0.5 * rho * pen[a, b] * par[a, b] ** 2
            grad[a, b] -= rho * pen[a, b] * par[a, b]
    return total


@njit(cache=True)
def evaluate_into(code_p, code_q, theta, phi, t_x, logh_x, chi_x, s_z, logg_z, psi_z,
                  data_idx, pi_d, pi_z, lab_idx, lab_table, alpha, rho, pen_p, pen_q, ws, g_p, g_q):
    """(L_p, L_q) with the pseudo-gradients written into g_p, g_q and CW, RW into the workspace
    ``ws`` (:func:`workspace`); no allocation."""
    e_z, a_z, mu_z, off_z, e_x, b_x, mu_x, off_x, cw, rw = ws[:10]
    d_p, d_q = ws[12], ws[13]
    _natural_into(psi_z, theta, code_p, e_z, a_z, mu_z, off_z)
    _natural_into(chi_x, phi, code_q, e_x, b_x, mu_x, off_x)
    _pair_sums_into(code_p, code_q, t_x, logh_x, s_z, logg_z, data_idx, pi_d, pi_z, lab_idx, lab_table, alpha, ws)
    lp_total = _from_sums(e_z, a_z, mu_z, cw, d_p)
    lq_total = _from_sums(e_x, b_x, mu_x, rw, d_q)
    _transpose_product_into(d_p, psi_z, g_p)
    _transpose_product_into(d_q, chi_x, g_q)
    lp_total = _penalise(lp_total, g_p, theta, rho, pen_p)
    lq_total = _penalise(lq_total, g_q, phi, rho, pen_q)
    return lp_total, lq_total


@njit(cache=True, inline="always")
def _squares(x):
    acc = 0.0
    for a in range(x.shape[0]):
        for b in range(x.shape[1]):
            acc += x[a, b] * x[a, b]
    return acc
