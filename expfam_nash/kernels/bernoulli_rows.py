"""Bernoulli rows of natural parameters in one vectorised pass: the transcendental work of the
blocked exact engine (``game/finite.py`` on games too large for the fused kernel).

For rows eta_r of a product of Bernoullis, A(eta_r) = sum_c softplus(eta_rc) and the mean
mu_rc = sigmoid(eta_rc); from a player's weighted sums s_r = (S-part, weight, log-base part)
(``game/finite.py``: CW or RW), its utility sum_r <s_r, (eta_r, -A(eta_r), 1)> and the rows
s_r[:n] - s_r[n] mu_r of its gradient. softplus and sigmoid are ``kernels.fastmath``'s (within a
few ulp of the libm formulas), so the loops vectorise; the row sums of A are reassociated.
NumPy references: :func:`log_partition_mean_reference`, :func:`utility_rows_reference`.
"""
from __future__ import annotations

import numpy as np
from numba import njit

from .fastmath import sigmoid, softplus

_JIT = dict(cache=True, error_model="numpy")


@njit(**_JIT)
def _softplus_sigmoid(eta, sp, mu):
    flat, s, m = eta.reshape(-1), sp.reshape(-1), mu.reshape(-1)
    for i in range(flat.size):
        s[i] = softplus(flat[i])
        m[i] = sigmoid(flat[i])


@njit(fastmath={"reassoc"}, **_JIT)
def _row_sums(x, out):
    for r in range(x.shape[0]):
        acc = 0.0
        for c in range(x.shape[1]):
            acc += x[r, c]
        out[r] = acc


@njit(**_JIT)
def log_partition_mean(eta):
    """(A, mu): A[r] = sum_c softplus(eta[r, c]), mu[r, c] = sigmoid(eta[r, c]) (C-contiguous eta)."""
    sp, mu = np.empty(eta.shape), np.empty(eta.shape)
    _softplus_sigmoid(eta, sp, mu)
    a = np.empty(eta.shape[0])
    _row_sums(sp, a)
    return a, mu


@njit(fastmath={"reassoc"}, **_JIT)
def utility_rows(eta, sums):
    """(sum_r [<sums_r[:n], eta_r> - sums_r[n] A(eta_r) + sums_r[n + 1]], dev) with
    dev[r, c] = sums[r, c] - sums[r, n] sigmoid(eta[r, c]): one player's utility before the
    penalty and the rows whose product with the features is its gradient."""
    rows, n = eta.shape
    a, mu = log_partition_mean(eta)
    dev = np.empty((rows, n))
    total = 0.0
    for r in range(rows):
        w = sums[r, n]
        acc = sums[r, n + 1] - w * a[r]
        for c in range(n):
            acc += sums[r, c] * eta[r, c]
            dev[r, c] = sums[r, c] - w * mu[r, c]
        total += acc
    return total, dev


@njit(**_JIT)
def sigmoid_pair(eta, p1, p0):
    """p1 = sigmoid(eta), p0 = sigmoid(-eta) = 1 - p1 (each accurate; one exponential per entry)."""
    flat, a, b = eta.reshape(-1), p1.reshape(-1), p0.reshape(-1)
    for i in range(flat.size):
        a[i] = sigmoid(flat[i])
        b[i] = sigmoid(-flat[i])


def log_partition_mean_reference(eta):
    """The libm formulas: A = sum softplus(eta) = max(eta, 0) + log1p(exp(-|eta|)), mu = expit(eta)."""
    from scipy.special import expit

    return (np.maximum(eta, 0.0) + np.log1p(np.exp(-np.abs(eta)))).sum(axis=1), expit(eta)


def utility_rows_reference(eta, sums):
    a, mu = log_partition_mean_reference(eta)
    n = eta.shape[1]
    total = np.sum(sums[:, :n] * eta) - sums[:, n] @ a + sums[:, n + 1].sum()
    return total, sums[:, :n] - sums[:, n:n + 1] * mu
