"""Verified linear algebra on ball matrices: products, balancing, positive-definiteness bounds,
inverses of small matrices, quadratic forms.

Products go through :func:`product`: BLAS with a priori bounds (``"ball"``) or arb_mat
(``"arb"``); both return a float :class:`~.ball.Ball`. Everything else is elementwise IEEE
arithmetic with the rounding model of :mod:`.ball`.
"""
from __future__ import annotations

import numpy as np
from scipy.linalg import lapack, lu_factor

from . import arb as arb_backend
from .ball import U, Ball, down, grow, matmul
from .cholesky import cholesky_bound, lambda_min_bound


def product(a, b, method: str = "ball") -> Ball:
    """Rigorous a @ b for balls or exact float arrays (2-D)."""
    if method != "arb":
        return matmul(a, b)
    A = arb_backend.ArbArray
    with arb_backend.precision():
        x = A.from_ball(a) if isinstance(a, Ball) else A.exact(a)
        y = A.from_ball(b) if isinstance(b, Ball) else A.exact(b)
        return (x @ y).to_ball()


def balance(mat: np.ndarray) -> np.ndarray:
    """Powers of two d with diag(d)^-1 mat diag(d) balanced (LAPACK dgebal, no permutation);
    ones if mat is not finite. Only a preconditioner: any positive d is sound."""
    n = mat.shape[0]
    if n == 0 or not np.all(np.isfinite(mat)):
        return np.ones(n)
    _, _, _, scale, info = lapack.dgebal(np.array(mat, dtype=np.float64, order="F"), scale=1, permute=0)
    return np.asarray(scale, dtype=np.float64) if info == 0 else np.ones(n)


def symmetrizer(mat: np.ndarray) -> np.ndarray:
    """Powers of two d making |(D^-1 M D)_ij| ~ |(D^-1 M D)_ji| for every pair with both entries
    nonzero (least squares in log d). With such d, P = I proves stability exactly when a diagonal
    Lyapunov matrix exists for the pairwise couplings (e.g. any stable 2 x 2 block with negative
    diagonal). Only a preconditioner: any positive d is sound."""
    n = mat.shape[0]
    a = np.abs(mat)
    i, j = np.nonzero(np.triu((a > 0) & (a.T > 0), 1))
    if i.size == 0 or not np.all(np.isfinite(mat)):
        return np.ones(n)
    A = np.zeros((i.size + 1, n))
    A[np.arange(i.size), j] = 2.0
    A[np.arange(i.size), i] = -2.0
    A[-1, :] = 1e-3                                      # fixes the free constant (and isolated nodes)
    b = np.append(np.log2(a[j, i]) - np.log2(a[i, j]), 0.0)
    y = np.linalg.lstsq(A, b, rcond=None)[0]
    return np.exp2(y)


def powers_of_two(d: np.ndarray) -> bool:
    m, _ = np.frexp(d)
    return bool(np.all(m == 0.5))


def similar(J: Ball, d: np.ndarray) -> Ball:
    """A ball containing diag(d)^-1 J diag(d) for every J in the ball (d exact positive floats):
    exact for powers of two (only exponents change), enclosed by ball products otherwise."""
    if powers_of_two(d):
        ratio = d[None, :] / d[:, None]
        return Ball(J.mid * ratio, J.rad * ratio)
    return (J * d[None, :]) / Ball.exact(np.broadcast_to(d[:, None], J.shape))


def symmetric_part(A: Ball) -> Ball:
    """(A + A^T) / 2 enclosed; the midpoint is exactly symmetric (fl(a + b) = fl(b + a)). A
    symmetric midpoint is kept as it is (no rounding), with radius max(r, r^T)."""
    if np.array_equal(A.mid, A.mid.T):
        return Ball(A.mid, np.maximum(A.rad, A.rad.T))
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


def cholesky_bound_reference(S: Ball, lam: float, method: str) -> float:
    """c - ||E||_2 - ||Sr||_2 (E = L L^T - (Sm - c I)) for the first shift c in (0.99, 0.9, 0.5) lam
    that gives a positive bound, with NumPy/BLAS (or arb) ball products; -inf if none does. The
    NumPy reference of the compiled :func:`.cholesky.cholesky_bound` (see its module docstring)."""
    n = S.shape[0]
    rad_norm = norm2_upper(S.rad)
    for frac in (0.99, 0.9, 0.5):
        c = lam * frac
        try:
            L = np.linalg.cholesky(S.mid - c * np.eye(n))
        except np.linalg.LinAlgError:
            continue
        E = product(L, L.T, method) - S.mid + c * np.eye(n)
        bound = float(down(c - grow(norm2_upper(E.upper_abs()) + rad_norm, 1)))
        if bound > 0:
            return bound
    return -np.inf


def _cholesky_bound(S: Ball, lam: float, method: str) -> float:
    """The Cholesky test at shifts of ``lam``: compiled for ``"ball"``, ball products for
    ``"ball-numpy"`` (the reference) and ``"arb"``."""
    if method in ("arb", "ball-numpy"):
        return cholesky_bound_reference(S, lam, "arb" if method == "arb" else "ball")
    return float(cholesky_bound(np.ascontiguousarray(S.mid), np.ascontiguousarray(S.rad), float(lam)))


def _smallest_eigenvalue(mat: np.ndarray) -> float:
    try:
        return float(np.linalg.eigvalsh(mat)[0])
    except np.linalg.LinAlgError:
        return -np.inf


def _test_definite(S: Ball, method: str) -> float:
    """Rigorous lower bound of lambda_min over the symmetric ball S (-inf if not found)."""
    lam = _smallest_eigenvalue(S.mid)
    return _cholesky_bound(S, lam, method) if lam > 0 else -np.inf


def lambda_min_lower(A: Ball, method: str = "ball") -> float:
    """A rigorous lower bound of lambda_min(sym(M)) over every M in the ball matrix A (-inf if none
    is found, e.g. when some M is not positive definite).

    With S = sym(A) = Sm +- Sr and a floating-point Cholesky factor L of Sm - c I,
    Sm + Delta = L L^T - E + c I + Delta with E = L L^T - (Sm - c I) enclosed in ball arithmetic, so
    lambda_min >= c - ||E||_2 - ||Sr||_2 (L L^T is positive semi-definite; :mod:`.cholesky`).
    Graded, stiff matrices (scales 1e-18 .. 1e18 in one matrix) are tested after the exact
    congruence D^-1 S D^-1, D = diag(2^k_i ~ sqrt|s_ii|): then
    lambda_min(S) >= lambda_min(D^-1 S D^-1) min d_i^2. ``"ball"`` runs the compiled
    :func:`.cholesky.lambda_min_symmetric`; ``"arb"`` and :func:`lambda_min_lower_reference` the
    same steps with ball products."""
    S = symmetric_part(A)
    if S.shape[0] == 0:
        return np.inf
    if not S.is_finite():
        return -np.inf
    if method != "arb":
        return lambda_min_bound(S.mid, S.rad)
    return _graded(S, method)


def lambda_min_lower_reference(A: Ball, method: str = "ball") -> float:
    """:func:`lambda_min_lower` with NumPy/BLAS (or arb) ball products throughout (the reference
    the tests compare the compiled path with)."""
    S = symmetric_part(A)
    if S.shape[0] == 0:
        return np.inf
    if not S.is_finite():
        return -np.inf
    return _graded(S, method if method == "arb" else "ball-numpy")


def _graded(S: Ball, method: str) -> float:
    best = _test_definite(S, method)
    diag = np.abs(np.diag(S.mid))
    if best > 0 or not np.all(diag > 0):
        return best
    d = np.exp2(np.round(0.5 * np.log2(diag)))
    ratio = 1.0 / (d[:, None] * d[None, :])
    T = Ball(S.mid * ratio, S.rad * ratio)                   # exact: powers of two
    scaled = _test_definite(T, method)
    return float(down(scaled * float(np.min(d)) ** 2)) if scaled > 0 else -np.inf


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




def _equilibrate(A: Ball) -> Ball:
    """Row then column scaling by powers of two (exact) so that every row and column has max ~ 1;
    positive diagonal scalings keep the sign of the determinant."""
    m = np.abs(A.mid)
    r = np.max(m, axis=1)
    r = np.where(r > 0, np.exp2(-np.round(np.log2(np.where(r > 0, r, 1.0)))), 1.0)
    m = m * r[:, None]
    c = np.max(m, axis=0)
    c = np.where(c > 0, np.exp2(-np.round(np.log2(np.where(c > 0, c, 1.0)))), 1.0)
    f = r[:, None] * c[None, :]
    return Ball(A.mid * f, A.rad * f)


def determinant_sign(A: Ball) -> int:
    """+1 / -1 when det(M) has that sign for EVERY M in the ball matrix A, else 0.

    With a floating-point LU factorisation P Am = L U (exact float factors), Z = U^-1 L^-1 P M is
    enclosed by ball forward and back substitution; if ||I - Z||_inf < 1 for every M, every
    eigenvalue of Z lies in the unit disk around 1, so det Z > 0 and
    sign det M = sign(det P^T) * prod sign(U_ii)."""
    n = A.shape[0]
    if n == 0:
        return 1
    if not A.is_finite():
        return 0
    B = _equilibrate(A)
    try:
        lu, piv = sl_lu_factor(B.mid)
    except (ValueError, np.linalg.LinAlgError):
        return 0
    diag = np.diag(lu)
    if not np.all(np.isfinite(lu)) or np.any(diag == 0):
        return 0
    perm = np.arange(n)
    parity = 1
    for i, p in enumerate(piv):
        if p != i:
            perm[[i, p]] = perm[[p, i]]
            parity = -parity
    L = np.tril(lu, -1) + np.eye(n)
    U = np.triu(lu)
    Y = B[perm]
    rows = []
    for i in range(n):                                   # L Y = P B (unit lower triangular)
        yi = Y[i] if i == 0 else Y[i] - matmul(L[i:i + 1, :i], Ball.stack(rows, 0)).reshape(-1)
        rows.append(yi)
    Z = [None] * n
    for i in range(n - 1, -1, -1):                       # U Z = Y
        zi = rows[i] if i == n - 1 else rows[i] - matmul(U[i:i + 1, i + 1:], Ball.stack(Z[i + 1:], 0)).reshape(-1)
        Z[i] = zi * (1.0 / U[i, i]) if _power_of_two(U[i, i]) else zi / U[i, i]
    E = np.eye(n) - Ball.stack(Z, 0)
    norm = float(grow(float(np.max(np.sum(E.upper_abs(), axis=1))), n + 1))
    if not norm < 1:
        return 0
    return int(parity * np.prod(np.sign(diag)))


def _power_of_two(x: float) -> bool:
    m, _ = np.frexp(x)
    return abs(m) == 0.5


def sl_lu_factor(a):
    return lu_factor(a, check_finite=True)
