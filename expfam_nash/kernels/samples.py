"""Sampling and per-sample gradient kernels (Numba), each with its NumPy reference.

Randomness stays outside the kernels: callers draw uniforms from a seeded
``numpy.random.Generator`` and the kernels turn them into samples, so results depend only on
the seed. The kernels are serial: minibatches are small, and a parallel region here costs more
than it saves (idle Numba and OpenBLAS worker threads spin and block each other; see
benchmarks/README.md, "Threads").
"""
from __future__ import annotations

import math

import numpy as np
from numba import njit


@njit(cache=True)
def bernoulli_from_uniform(eta, u):
    """y_ic = 1[u_ic < sigmoid(eta_ic)]."""
    out = np.empty_like(eta)
    for i in range(eta.shape[0]):
        for c in range(eta.shape[1]):
            e = eta[i, c]
            p = 1.0 / (1.0 + math.exp(-e))   # exp(-e) = inf for e << 0 gives p = 0 exactly
            out[i, c] = 1.0 if u[i, c] < p else 0.0
    return out


def bernoulli_from_uniform_reference(eta, u):
    return (u < 1.0 / (1.0 + np.exp(-eta))).astype(np.float64)


@njit(cache=True)
def categorical_from_uniform(eta, u):
    """Class y_i with reference class 0: inverse CDF of softmax((0, eta_i)) at u_i."""
    n, m = eta.shape
    out = np.empty((n, 1))
    for i in range(n):
        top = 0.0
        for c in range(m):
            top = max(top, eta[i, c])
        total = math.exp(-top)
        for c in range(m):
            total += math.exp(eta[i, c] - top)
        # accumulate normalised probabilities in the reference's order, so that u near 1 and
        # classes of probability ~1e-16 give the same class as the reference
        acc = math.exp(-top) / total
        cls = 0
        while acc < u[i] and cls < m:
            cls += 1
            acc += math.exp(eta[i, cls - 1] - top) / total
        out[i, 0] = cls
    return out


def categorical_from_uniform_reference(eta, u):
    full = np.concatenate([np.zeros((eta.shape[0], 1)), eta], axis=1)
    p = np.exp(full - full.max(1, keepdims=True))
    total = np.cumsum(p, axis=1)[:, -1:]   # summed in order, as the kernel does (p.sum is pairwise)
    cdf = np.cumsum(p / total, axis=1)
    return np.minimum((cdf < u[:, None]).sum(1), eta.shape[1])[:, None].astype(np.float64)


@njit(cache=True)
def outer_moments(d, f):
    """Mean and mean square, over samples r, of the per-sample gradients g_r = d_r f_r^T.

    Returns (mean, mean_square), both (m, k): the gradient estimate and what its standard
    error needs, in one pass without forming the (N, m, k) array."""
    n, m = d.shape
    k = f.shape[1]
    s1 = np.zeros((m, k))
    s2 = np.zeros((m, k))
    for r in range(n):
        for a in range(m):
            da = d[r, a]
            for b in range(k):
                g = da * f[r, b]
                s1[a, b] += g
                s2[a, b] += g * g
    return s1 / n, s2 / n


def outer_moments_reference(d, f):
    n = d.shape[0]
    return d.T @ f / n, (d * d).T @ (f * f) / n
