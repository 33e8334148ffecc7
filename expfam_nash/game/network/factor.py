"""One factor's expected log-likelihood, pseudo-gradient and own Hessian, given the moments of
the phase it learns in (the bias-free analogue of ``game/linear_gaussian.py``'s player).

With u the parents and y the target, the phase enters only through

    M = E[u u^T] (m x m),   C = E[y u^T] (n x m),   Q_a = E[y_a^2].

fixed variance s, parameter A (the mean map, n x m):
    E log p = -(sum Q - 2 <A, C> + <A M, A>) / (2 s) - (n/2) log(2 pi s)
    grad    = (C - A M) / s,                        own Hessian  -I_n (x) M / s
learned, parameter [eta1 | beta] (n x (m+1)), mean map eta1_a v_a, variance v_a = -1/(2 beta_a):
    E log p = sum_a [<eta1_a, C_a> + Q_a beta_a + eta1_a^T M eta1_a / (4 beta_a) + log(-2 beta_a) / 2] - (n/2) log 2 pi
    d/d eta1_a = C_a + M eta1_a / (2 beta_a),  d/d beta_a = Q_a - eta1_a^T M eta1_a / (4 beta_a^2) + 1 / (2 beta_a)
    own Hessian per row a (eta1_a, beta_a): [[M / (2 beta_a), -M eta1_a / (2 beta_a^2)],
                                              [ .. ,  eta1_a^T M eta1_a / (2 beta_a^3) - 1 / (2 beta_a^2)]]
The L2 penalty -rho/2 |eta1|^2 acts on the mean-map entries.
"""
from __future__ import annotations

import numpy as np

from ...core.constants import LOG_2PI
from .spec import FactorLayout

__all__ = ["channel", "utility", "linear_grad", "grad", "hessian", "derivative_rows"]


def channel(lay: FactorLayout, block: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(A, v): the factor as y = A u + N(0, diag(v))."""
    f = lay.factor
    if not f.learned:
        return block, np.full(lay.n, f.variance)
    v = -0.5 / block[:, lay.m]
    return block[:, :lay.m] * v[:, None], v


def utility(lay: FactorLayout, block: np.ndarray, M, C, Q, rho: float) -> float:
    m = lay.m
    eta1 = block[:, :m]
    penalty = 0.5 * rho * float(np.sum(eta1 ** 2))
    if not lay.factor.learned:
        s = lay.factor.variance
        quad = np.sum(Q) - 2.0 * np.sum(eta1 * C) + np.sum((eta1 @ M) * eta1)
        return float(-quad / (2 * s) - 0.5 * lay.n * (LOG_2PI + np.log(s)) - penalty)
    beta = block[:, m]
    quad = np.einsum("ab,bc,ac->a", eta1, M, eta1)
    ll = np.sum(eta1 * C) + Q @ beta + np.sum(quad / (4 * beta)) + 0.5 * np.sum(np.log(-2 * beta))
    return float(ll - 0.5 * lay.n * LOG_2PI - penalty)


def linear_grad(lay: FactorLayout, block: np.ndarray, M, C, Q) -> np.ndarray:
    """The part of the gradient that is linear in (M, C, Q), batched over leading axes of M, C, Q
    (the Jacobian's cross blocks: the other player moves the moments, not the parameters)."""
    m = lay.m
    eta1 = block[:, :m]
    if not lay.factor.learned:
        return (C - np.einsum("ab,...bc->...ac", eta1, M)) / lay.factor.variance
    beta = block[:, m]
    out = np.zeros(np.shape(M)[:-2] + (lay.n, m + 1))
    out[..., :m] = C + np.einsum("ab,...bc->...ac", eta1, M) / (2 * beta[:, None])
    out[..., m] = Q - np.einsum("ab,...bc,ac->...a", eta1, M, eta1) / (4 * beta ** 2)
    return out


def grad(lay: FactorLayout, block: np.ndarray, M, C, Q, rho: float) -> np.ndarray:
    g = linear_grad(lay, block, M, C, Q)
    m = lay.m
    if lay.factor.learned:
        g[:, m] += 0.5 / block[:, m]
    g[:, :m] -= rho * block[:, :m]
    return g


def hessian(lay: FactorLayout, block: np.ndarray, M, rho: float) -> np.ndarray:
    """Own Hessian on the factor's free entries in row-major order."""
    n, m = lay.n, lay.m
    if not lay.factor.learned:
        return -np.kron(np.eye(n), M) / lay.factor.variance - rho * np.eye(n * m)
    eta1, beta = block[:, :m], block[:, m]
    out = np.zeros((n * (m + 1), n * (m + 1)))
    for a in range(n):
        sl = slice(a * (m + 1), (a + 1) * (m + 1))
        h = np.zeros((m + 1, m + 1))
        h[:m, :m] = M / (2 * beta[a]) - rho * np.eye(m)
        h[:m, m] = h[m, :m] = -(M @ eta1[a]) / (2 * beta[a] ** 2)
        h[m, m] = eta1[a] @ M @ eta1[a] / (2 * beta[a] ** 3) - 0.5 / beta[a] ** 2
        out[sl, sl] = h
    return out


def derivative_rows(lay: FactorLayout, block: np.ndarray, size: int):
    """How the factor's channel moves with each of its free entries (row-major): the entry p changes
    the global mean-map matrix by e_{i_p} r_p^T and the noise variance of coordinate i_p by w_p.

    fixed:   entry (a, j): r = e_{u_j}, w = 0
    learned: eta1 (a, j): r = v_a e_{u_j}, w = 0;  beta_a: dv = 2 v_a^2, r = dv eta1_a on u, w = dv.
    Returns (i (P,), R (P, size), w (P,))."""
    n, m = lay.n, lay.m
    u, t = lay.parent_index, lay.target_index
    learned = lay.factor.learned
    P = n * (m + 1) if learned else n * m
    i_p, R, w = np.zeros(P, int), np.zeros((P, size)), np.zeros(P)
    v = -0.5 / block[:, m] if learned else np.ones(n)
    p = 0
    for a in range(n):
        for j in range(m):
            i_p[p], R[p, u[j]] = t[a], v[a]
            p += 1
        if learned:
            dv = 2.0 * v[a] ** 2
            i_p[p], R[p, u], w[p] = t[a], dv * block[a, :m], dv
            p += 1
    return i_p, R, w
