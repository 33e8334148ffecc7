"""The Cholesky test of positive definiteness behind :func:`.linalg.lambda_min_lower`, compiled.

For a symmetric ball matrix S = Sm +- Sr, a shift c > 0 and ANY floating-point lower-triangular L
(here a plain Cholesky factor of Sm - c I, which may fail or be inaccurate: only the enclosure
below is rigorous), with E = L L^T - (Sm - c I):

    Sm + D = L L^T - E + c I + D   for every |D| <= Sr,

so lambda_min(Sm + D) >= c - ||E||_2 - ||Sr||_2 (L L^T is positive semi-definite). E is
enclosed entrywise in the rounding model of :mod:`.ball`: the sum p = sum_k L_ik L_jk of n
products in any order has |fl(p) - p| <= gamma_n sum_k |L_ik L_jk|, and each further + or - adds
u |result|; :func:`_grow` turns computed non-negative radii into upper bounds. Spectral norms are
bounded by min(||N||_F, sqrt(||N||_1 ||N||_inf)) of the entrywise absolute values.

:func:`.linalg.cholesky_bound_reference` is the same test written with NumPy/BLAS ball products (the tests
compare the two); :func:`lambda_min_symmetric` also takes the floating-point lambda_min of Sm
(LAPACK through Numba) that chooses the shifts c = 0.99, 0.9, 0.5 x lambda_min.
"""
from __future__ import annotations

import math

import numpy as np
from numba import njit

from .ball import U
from .scalar_ball import _down, _grow

_FRACTIONS = (0.99, 0.9, 0.5)


@njit(cache=True)
def _norm2_upper(N):
    """min(||N||_F, sqrt(||N||_1 ||N||_inf)) rounded upward, for N >= 0 entrywise."""
    n = N.shape[0]
    if n == 0:
        return 0.0
    sq = 0.0
    one = 0.0
    inf = 0.0
    for i in range(n):
        row = 0.0
        col = 0.0
        for j in range(n):
            sq += N[i, j] * N[i, j]
            row += N[i, j]
            col += N[j, i]
        inf = max(inf, row)
        one = max(one, col)
    fro = _grow(math.sqrt(_grow(sq, n * n + 2)), 2)
    one = _grow(one, n + 1)
    inf = _grow(inf, n + 1)
    return min(fro, _grow(math.sqrt(_grow(one * inf, 1)), 2))


@njit(cache=True)
def _factor(A, L):
    """Floating-point Cholesky factor of A into L (lower); False when a pivot is not > 0."""
    n = A.shape[0]
    for j in range(n):
        s = A[j, j]
        for k in range(j):
            s -= L[j, k] * L[j, k]
        if not s > 0.0:
            return False
        d = math.sqrt(s)
        L[j, j] = d
        for i in range(j + 1, n):
            t = A[i, j]
            for k in range(j):
                t -= L[i, k] * L[j, k]
            L[i, j] = t / d
        for i in range(j):
            L[i, j] = 0.0
    return True


@njit(cache=True)
def _residual_abs(Sm, L, c, out):
    """out >= |L L^T - (Sm - c I)| entrywise (rigorous)."""
    n = Sm.shape[0]
    g = 2.0 * (n + 1) * U                                # gamma_n
    for i in range(n):
        for j in range(n):
            p = 0.0
            a = 0.0
            for k in range(min(i, j) + 1):
                t = L[i, k] * L[j, k]
                p += t
                a += abs(t)
            r = _grow(g * a, n + 2)                     # |fl(p) - p|, exact products included
            m = p - Sm[i, j]
            r = _grow(r + U * abs(m), 1)
            if i == j:
                m = m + c
                r = _grow(r + U * abs(m), 1)
            out[i, j] = _grow(abs(m) + r, 1)


@njit(cache=True)
def cholesky_bound(Sm, Sr, lam):
    """A rigorous lower bound of lambda_min over the symmetric ball Sm +- Sr from the first shift
    c = f lam (f in 0.99, 0.9, 0.5) that certifies one; -inf if none does."""
    n = Sm.shape[0]
    rad_norm = _norm2_upper(Sr)
    A = np.empty((n, n))
    L = np.zeros((n, n))
    E = np.empty((n, n))
    for f in _FRACTIONS:
        c = lam * f
        for i in range(n):
            for j in range(n):
                A[i, j] = Sm[i, j]
            A[i, i] = Sm[i, i] - c
        if not _factor(A, L):
            continue
        _residual_abs(Sm, L, c, E)
        bound = _down(c - _grow(_norm2_upper(E) + rad_norm, 1))
        if bound > 0.0:
            return bound
    return -np.inf


@njit(cache=True)
def _definite(Sm, Sr):
    lam = np.linalg.eigvalsh(Sm)[0]
    if not lam > 0.0:
        return lam, -np.inf
    return lam, cholesky_bound(Sm, Sr, lam)


@njit(cache=True)
def lambda_min_symmetric(Sm, Sr):
    """Rigorous lower bound of lambda_min over the symmetric ball Sm +- Sr (Sm exactly symmetric
    and finite), or -inf: the Cholesky test, then, for graded matrices, the same test after the
    exact congruence D^-1 S D^-1 with D = diag(2^round(log2(s_ii) / 2)) (the compiled form of
    :func:`.linalg.lambda_min_lower` for the ``"ball"`` method). LAPACK failures raise."""
    n = Sm.shape[0]
    if n == 0:
        return np.inf
    best = _definite(Sm, Sr)[1]
    if best > 0.0:
        return best
    d = np.empty(n)
    for i in range(n):
        a = abs(Sm[i, i])
        if not a > 0.0:
            return best
        d[i] = np.exp2(np.rint(0.5 * np.log2(a)))
    Tm = np.empty((n, n))
    Tr = np.empty((n, n))
    for i in range(n):
        for j in range(n):
            ratio = 1.0 / (d[i] * d[j])                   # exact: powers of two
            Tm[i, j] = Sm[i, j] * ratio
            Tr[i, j] = Sr[i, j] * ratio
    scaled = _definite(Tm, Tr)[1]
    if not scaled > 0.0:
        return -np.inf
    dmin = d.min()
    return _down(scaled * dmin * dmin)


def lambda_min_bound(Sm: np.ndarray, Sr: np.ndarray) -> float:
    """:func:`lambda_min_symmetric` from Python (-inf where LAPACK fails)."""
    try:
        return float(lambda_min_symmetric(np.ascontiguousarray(Sm, dtype=np.float64),
                                          np.ascontiguousarray(Sr, dtype=np.float64)))
    except (np.linalg.LinAlgError, ValueError):
        return -np.inf
