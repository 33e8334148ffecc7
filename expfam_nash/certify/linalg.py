"""Verified linear algebra on ball matrices: products, balancing, positive-definiteness bounds,
inverses of small matrices, quadratic forms.

Products go through :func:`product`: BLAS with a priori bounds (``"ball"``) or arb_mat
(``"arb"``); both return a float :class:`~.ball.Ball`. Everything else is elementwise IEEE
arithmetic with the rounding model of :mod:`.ball`.
"""
from __future__ import annotations

import numpy as np

from . import arb as arb_backend
from .ball import ETA, U, Ball, down, grow, matmul


def product(a, b, method: str = "ball") -> Ball:
    """Rigorous a @ b for balls or exact float arrays (2-D)."""
    if method != "arb":
        return matmul(a, b)
    A = arb_backend.ArbArray
    with arb_backend.precision():
        x = A.from_ball(a) if isinstance(a, Ball) else A.exact(a)
        y = A.from_ball(b) if isinstance(b, Ball) else A.exact(b)
        return (x @ y).to_ball()


def balance(mat: np.ndarray, sweeps: int = 6) -> np.ndarray:
    """Powers of two d with diag(d)^-1 mat diag(d) roughly balanced (off-diagonal row and column
    1-norms equalised, as in LAPACK's gebal, all coordinates at once); ones where a row and its
    column vanish. Only a preconditioner: any positive d is sound."""
    n = mat.shape[0]
    d = np.ones(n)
    if n == 0 or not np.all(np.isfinite(mat)):
        return d
    a = np.abs(mat)
    a[np.diag_indices(n)] = 0.0
    for _ in range(sweeps):
        b = a * (d[None, :] / d[:, None])
        col, row = b.sum(axis=0), b.sum(axis=1)
        ok = (col > 0) & (row > 0)
        if not ok.any():
            break
        f = np.ones(n)
        f[ok] = np.exp2(np.round(0.5 * np.log2(row[ok] / col[ok])))
        if np.all(f == 1.0):
            break
        d = d * f
    return d


def similar(J: Ball, d: np.ndarray) -> Ball:
    """diag(d)^-1 J diag(d), exact for powers of two d (no rounding: only exponents change)."""
    ratio = d[None, :] / d[:, None]
    return Ball(J.mid * ratio, J.rad * ratio)


def symmetric_part(A: Ball) -> Ball:
    """(A + A^T) / 2 enclosed; the midpoint is exactly symmetric (fl(a + b) = fl(b + a))."""
    m = (A.mid + A.mid.T) * 0.5
    r = (A.rad + A.rad.T) * 0.5 + U * np.abs(m)
    return Ball(m, grow(r, 3))


def norm2_upper(nonneg: np.ndarray) -> float:
    """An upper bound of the spectral norm of every matrix with |entries| <= ``nonneg``:
    ||N||_2 <= min(||N||_F, sqrt(||N||_1 ||N||_inf)) (Perron-Frobenius for |N|)."""
    if nonneg.size == 0:
        return 0.0
    n = max(nonneg.shape)
    fro = grow(float(np.sqrt(grow(float(np.sum(nonneg * nonneg)), n * n + 2))), 2)
    one = grow(float(np.max(np.sum(nonneg, axis=0))), n + 1)
    inf = grow(float(np.max(np.sum(nonneg, axis=1))), n + 1)
    return float(min(fro, grow(float(np.sqrt(grow(one * inf, 1))), 2)))


def lambda_min_lower(A: Ball, method: str = "ball", estimate: float | None = None) -> float:
    """A rigorous lower bound of lambda_min(sym(M)) over every M in the ball matrix A (-inf if none).

    With S = sym(A) = Sm +- Sr and a floating-point Cholesky factor L of Sm - c I:
    Sm + D = L L^T - E + c I + D with E = L L^T - (Sm - c I) enclosed in ball arithmetic, so
    lambda_min >= c - ||E||_2 - ||Sr||_2 (L L^T is positive semi-definite)."""
    S = symmetric_part(A)
    n = S.shape[0]
    if n == 0:
        return np.inf
    if not S.is_finite():
        return -np.inf
    lam = float(np.linalg.eigvalsh(S.mid)[0]) if estimate is None else float(estimate)
    if not lam > 0:
        return -np.inf
    rad_norm = norm2_upper(S.rad)
    best = -np.inf
    for frac in (0.9, 0.5):
        c = lam * frac
        try:
            L = np.linalg.cholesky(S.mid - c * np.eye(n))
        except np.linalg.LinAlgError:
            continue
        E = product(L, L.T, method) - S.mid + c * np.eye(n)
        bound = float(down(c - grow(norm2_upper(E.upper_abs()) + rad_norm, 1)))
        best = max(best, bound)
        if bound > 0:
            break
    return best


def lambda_max_upper(P: np.ndarray) -> float:
    """An upper bound of the largest eigenvalue of an exact symmetric float matrix (row sums)."""
    n = P.shape[0]
    return float(grow(float(np.max(np.sum(np.abs(P), axis=1))), n + 1)) if n else 0.0


def quadratic_form(x: np.ndarray, P, method: str = "ball") -> Ball:
    """x^T P x for an exact vector x and an exact or ball matrix P (a 1-element ball)."""
    y = product(np.asarray(x)[None, :], P, method)
    return product(y, np.asarray(x)[:, None], method).reshape(())


def inverse_enclosure(B: Ball, method: str = "ball") -> Ball | None:
    """A ball matrix containing B^-1 for every B in the ball, or None when not verified.
    With Bi ~ mid^-1 and E = I - Bi B: ||E||_inf < 1 gives B^-1 = (I - E)^-1 Bi, and
    |B^-1 - Bi| <= ||E|| ||Bi|| / (1 - ||E||) entrywise (an entry is bounded by the inf-norm)."""
    n = B.shape[0]
    try:
        Bi = np.linalg.inv(B.mid)
    except np.linalg.LinAlgError:
        return None
    if not np.all(np.isfinite(Bi)):
        return None
    E = np.eye(n) - product(Bi, B, method)
    e = float(grow(float(np.max(np.sum(E.upper_abs(), axis=1))), n + 1))
    if not e < 1:
        return None
    bi = lambda_max_upper(np.abs(Bi))
    delta = float(grow(e * bi / down(1.0 - e), 3))
    return Ball(Bi, np.full(Bi.shape, delta))


__all__ = ["product", "balance", "similar", "symmetric_part", "norm2_upper", "lambda_min_lower",
           "lambda_max_upper", "quadratic_form", "inverse_enclosure", "ETA"]
