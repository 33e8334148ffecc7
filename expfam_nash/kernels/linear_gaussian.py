"""Compiled linear-Gaussian pair: utilities, pseudo-gradients, own Hessians and the game Jacobian
in one call each (Numba); ``game/linear_gaussian.py`` holds the notation and the NumPy reference.

A player P predicts its target y in R^n from f = (u, 1) in R^(m+1); the other player O generates
u from y by its channel u = G_o (y, 1) + N(0, diag(w_o)). With H = [[G_o], [0 ... 0 1]] and
R = E[(y, 1)(y, 1)^T] of P's target, RH = R H^T, P's mixed moments are
    M = (1-alpha) (H RH + diag(w_o, 0)) + alpha M_lab,  C = (1-alpha) RH[:n] + alpha C_lab,
    Q = (1-alpha) diag(R)[:n] + alpha Q_lab.
A fixed variance is a float ``var`` > 0; a learned one is ``var = nan`` (then par has 2n rows:
eta1 = par[:n], beta = par[n:, -1] < 0, G = eta1 v, w = v = -1/(2 beta)).

Cross blocks: one free parameter of O changes G_o by a rank-one matrix, so
    dM = (1-alpha) (e_r x^T + x e_r^T + delta e_r e_r^T),   dC = (1-alpha) y e_r^T
with r the affected row of G_o and (x, y, delta) from :func:`_direction`; P's gradient is linear
in (dM, dC), which gives each column of the block in O(n m) (no (m+1)^3 product per parameter).
"""
from __future__ import annotations

import math

import numpy as np
from numba import njit

LOG_2PI = math.log(2.0 * math.pi)

#: domain codes of :func:`check` (0: in the domain)
OK, NOT_FINITE, OFF_MASK, NOT_NEGATIVE = 0, 1, 2, 3

_JIT = dict(cache=True, error_model="numpy")


@njit(**_JIT)
def check(par, n, learned):
    """OK, or why par (n or 2n rows) is outside the domain: NOT_FINITE, OFF_MASK (a structural zero
    of the learned second block is not 0), NOT_NEGATIVE (a learned beta >= 0)."""
    m1 = par.shape[1]
    for i in range(par.shape[0]):
        for j in range(m1):
            if not math.isfinite(par[i, j]):
                return NOT_FINITE
    if learned:
        for i in range(n, 2 * n):
            for j in range(m1 - 1):
                if par[i, j] != 0.0:
                    return OFF_MASK
            if par[i, m1 - 1] >= 0.0:
                return NOT_NEGATIVE
    return OK


@njit(**_JIT)
def _channel(par, n, learned, var):
    """(G, w): the player's conditional as y = G f + N(0, diag(w))."""
    m1 = par.shape[1]
    g = np.empty((n, m1))
    w = np.empty(n)
    for i in range(n):
        v = -0.5 / par[n + i, m1 - 1] if learned else var
        w[i] = v
        for j in range(m1):
            g[i, j] = par[i, j] * v if learned else par[i, j]
    return g, w


@njit(**_JIT)
def _moments(g_o, w_o, r, m_lab, c_lab, q_lab, alpha):
    """(M, C, Q, RH) of the player whose target has second moment r, given the other's channel."""
    n1 = r.shape[0]
    n, m = n1 - 1, g_o.shape[0]
    rh = np.empty((n1, m + 1))
    for i in range(n1):
        for a in range(m):
            acc = 0.0
            for b in range(n1):
                acc += r[i, b] * g_o[a, b]
            rh[i, a] = acc
        rh[i, m] = r[i, n]
    s = 1.0 - alpha
    big_m = np.empty((m + 1, m + 1))
    for a in range(m + 1):
        for c in range(m + 1):
            if a < m:
                acc = 0.0
                for i in range(n1):
                    acc += g_o[a, i] * rh[i, c]
                if a == c:
                    acc += w_o[a]
            else:
                acc = rh[n, c]
            big_m[a, c] = s * acc + alpha * m_lab[a, c]
    big_c = np.empty((n, m + 1))
    q = np.empty(n)
    for i in range(n):
        for c in range(m + 1):
            big_c[i, c] = s * rh[i, c] + alpha * c_lab[i, c]
        q[i] = s * r[i, i] + alpha * q_lab[i]
    return big_m, big_c, q, rh


@njit(**_JIT)
def _utility_gradient(par, n, learned, var, big_m, big_c, q, rho):
    """(utility, full-shaped gradient) of one player from its moments (module docstring of
    ``game/linear_gaussian.py``)."""
    m1 = par.shape[1]
    grad = np.zeros(par.shape)
    penalty = 0.0
    for i in range(n):
        for j in range(m1 - 1):
            penalty += par[i, j] * par[i, j]
    total = 0.0
    pm = np.empty(m1)                        # (par_a M) and the quadratic form par_a M par_a
    for a in range(n):
        for b in range(m1):
            acc = 0.0
            for c in range(m1):
                acc += par[a, c] * big_m[c, b]
            pm[b] = acc
        quad, lin = 0.0, 0.0
        for b in range(m1):
            quad += pm[b] * par[a, b]
            lin += par[a, b] * big_c[a, b]
        if learned:
            beta = par[n + a, m1 - 1]
            total += lin + q[a] * beta + quad / (4.0 * beta) + 0.5 * math.log(-2.0 * beta)
            for b in range(m1):
                grad[a, b] = big_c[a, b] + pm[b] / (2.0 * beta)
            grad[n + a, m1 - 1] = q[a] - quad / (4.0 * beta * beta) + 0.5 / beta
        else:
            total += q[a] - 2.0 * lin + quad
            for b in range(m1):
                grad[a, b] = (big_c[a, b] - pm[b]) / var
    for i in range(n):
        for j in range(m1 - 1):
            grad[i, j] -= rho * par[i, j]
    if learned:
        util = total - 0.5 * n * LOG_2PI
    else:
        util = -total / (2.0 * var) - 0.5 * n * (LOG_2PI + math.log(var))
    return util - 0.5 * rho * penalty, grad


@njit(**_JIT)
def _hessian(par, n, learned, var, big_m, rho):
    """Own Hessian on the free coordinates (eta1 or par row-major, then the betas)."""
    m1 = par.shape[1]
    nf = n * m1
    size = nf + n if learned else nf
    out = np.zeros((size, size))
    for a in range(n):
        for b in range(m1):
            for c in range(m1):
                out[a * m1 + b, a * m1 + c] = (0.5 / par[n + a, m1 - 1]) * big_m[b, c] if learned \
                    else -big_m[b, c] / var
        if learned:
            beta = par[n + a, m1 - 1]
            quad = 0.0
            for b in range(m1):
                em = 0.0
                for c in range(m1):
                    em += par[a, c] * big_m[c, b]
                quad += em * par[a, b]
                cross = -em / (2.0 * beta * beta)
                out[a * m1 + b, nf + a] = cross
                out[nf + a, a * m1 + b] = cross
            out[nf + a, nf + a] = quad / (2.0 * beta ** 3) - 0.5 / (beta * beta)
        for b in range(m1 - 1):
            out[a * m1 + b, a * m1 + b] -= rho
    return out


@njit(**_JIT)
def _direction(par_o, m, learned_o, var_o, rh, r, col, mrow, x, y):
    """(row r of G_o it moves, delta) for the free parameter ``col`` of the other player O (O's flat
    order: eta1 / par row-major, then the betas), writing x and y: dG_o = e_r mrow^T, so
    dH R H^T = e_r x^T with x = mrow RH, dC column r = R[:n] mrow = y, and dw_o = delta e_r."""
    n1 = rh.shape[0]
    n = n1 - 1
    mrow[:] = 0.0                            # the changed row of G_o
    delta = 0.0
    if col < m * n1:
        row, c = col // n1, col % n1
        mrow[c] = -0.5 / par_o[m + row, n] if learned_o else 1.0
    else:
        row = col - m * n1
        beta = par_o[m + row, n]
        v = -0.5 / beta
        dv = 2.0 * v * v
        for c in range(n1):
            mrow[c] = par_o[row, c] * dv
        delta = dv
    x[:] = 0.0
    for c in range(n1):
        if mrow[c] != 0.0:
            for b in range(rh.shape[1]):
                x[b] += mrow[c] * rh[c, b]
    for i in range(n):
        acc = 0.0
        for c in range(n1):
            acc += r[i, c] * mrow[c]
        y[i] = acc
    return row, delta


@njit(**_JIT)
def _cross_block(par, n, learned, var, par_o, m, learned_o, var_o, rh, r, alpha, out, r0, c0):
    """out[r0 + i, c0 + j] = d (P's gradient, free coordinate i) / d (O's free parameter j): for
    every column the rank-one part e_r x^T of dM, then the x e_r^T, delta and dC parts in the
    columns whose row r_j is the entry's column b."""
    m1 = par.shape[1]
    size_o = m * (n + 1) + (m if learned_o else 0)
    s = 1.0 - alpha
    nf = n * m1
    rows, deltas = np.empty(size_o, np.int64), np.empty(size_o)
    xs_t, ys = np.empty((m1, size_o)), np.empty((size_o, n))     # x_j by columns: unit stride over j
    mrow, x = np.empty(n + 1), np.empty(m1)
    for j in range(size_o):
        rows[j], deltas[j] = _direction(par_o, m, learned_o, var_o, rh, r, j, mrow, x, ys[j])
        for b in range(m1):
            xs_t[b, j] = x[b]
    px, pr = np.empty(size_o), np.empty(size_o)                  # (par_a . x_j), par[a, r_j]
    for a in range(n):
        for j in range(size_o):
            pr[j] = par[a, rows[j]]
            px[j] = 0.0
        for b in range(m1):
            pb = par[a, b]
            for j in range(size_o):
                px[j] += pb * xs_t[b, j]
        # fixed: s (dC - par dM) / var;  learned: s (dC + eta1 dM / (2 beta))
        f = s / (2.0 * par[n + a, m1 - 1]) if learned else -s / var
        for b in range(m1):
            i = r0 + a * m1 + b
            for j in range(size_o):
                out[i, c0 + j] = f * (pr[j] * xs_t[b, j])
            for j in range(size_o):
                if rows[j] == b:
                    dm = pr[j] * xs_t[b, j] + px[j] + deltas[j] * pr[j]
                    out[i, c0 + j] = (s * ys[j, a] + f * dm) if learned else (-f * ys[j, a] + f * dm)
        if learned:
            g = -s / (4.0 * par[n + a, m1 - 1] ** 2)
            for j in range(size_o):
                out[r0 + nf + a, c0 + j] = g * (2.0 * pr[j] * px[j] + deltas[j] * pr[j] * pr[j])


@njit(**_JIT)
def evaluate(theta, phi, d, k, var_p, var_q, r_p, m_lab_p, c_lab_p, q_lab_p, r_q, m_lab_q, c_lab_q, q_lab_q,
             alpha, rho):
    """(L_p, L_q, grad_theta, grad_phi); a variance is nan when learned."""
    lp_, lq_ = math.isnan(var_p), math.isnan(var_q)
    g_p, w_p = _channel(theta, d, lp_, var_p)
    g_q, w_q = _channel(phi, k, lq_, var_q)
    mp, cp, qp, _ = _moments(g_q, w_q, r_p, m_lab_p, c_lab_p, q_lab_p, alpha)
    mq, cq, qq, _ = _moments(g_p, w_p, r_q, m_lab_q, c_lab_q, q_lab_q, alpha)
    up, gp = _utility_gradient(theta, d, lp_, var_p, mp, cp, qp, rho)
    uq, gq = _utility_gradient(phi, k, lq_, var_q, mq, cq, qq, rho)
    return up, uq, gp, gq


@njit(**_JIT)
def own_hessians(theta, phi, d, k, var_p, var_q, r_p, m_lab_p, c_lab_p, q_lab_p, r_q, m_lab_q, c_lab_q,
                 q_lab_q, alpha, rho):
    lp_, lq_ = math.isnan(var_p), math.isnan(var_q)
    g_p, w_p = _channel(theta, d, lp_, var_p)
    g_q, w_q = _channel(phi, k, lq_, var_q)
    mp = _moments(g_q, w_q, r_p, m_lab_p, c_lab_p, q_lab_p, alpha)[0]
    mq = _moments(g_p, w_p, r_q, m_lab_q, c_lab_q, q_lab_q, alpha)[0]
    return _hessian(theta, d, lp_, var_p, mp, rho), _hessian(phi, k, lq_, var_q, mq, rho)


@njit(**_JIT)
def jacobian(theta, phi, d, k, var_p, var_q, r_p, m_lab_p, c_lab_p, q_lab_p, r_q, m_lab_q, c_lab_q, q_lab_q,
             alpha, rho):
    """The game Jacobian on the free coordinates (theta's, then phi's)."""
    lp_, lq_ = math.isnan(var_p), math.isnan(var_q)
    g_p, w_p = _channel(theta, d, lp_, var_p)
    g_q, w_q = _channel(phi, k, lq_, var_q)
    mp, _, _, rh_p = _moments(g_q, w_q, r_p, m_lab_p, c_lab_p, q_lab_p, alpha)
    mq, _, _, rh_q = _moments(g_p, w_p, r_q, m_lab_q, c_lab_q, q_lab_q, alpha)
    hp = _hessian(theta, d, lp_, var_p, mp, rho)
    hq = _hessian(phi, k, lq_, var_q, mq, rho)
    sp, sq = hp.shape[0], hq.shape[0]
    out = np.empty((sp + sq, sp + sq))           # every entry is written below
    out[:sp, :sp] = hp
    out[sp:, sp:] = hq
    _cross_block(theta, d, lp_, var_p, phi, k, lq_, var_q, rh_p, r_p, alpha, out, 0, sp)
    _cross_block(phi, k, lq_, var_q, theta, d, lp_, var_p, rh_q, r_q, alpha, out, sp, 0)
    return out
