"""The tests run on a known Jacobian enclosure J(X) = Jm +- Jr, compiled for the ``"ball"`` method.

Each kernel is the compiled form of Python ball code that stays the reference (and the path of
the ``"arb"`` method); the tests compare the two. Same rounding model as :mod:`.ball`; products
go through BLAS (``np.dot`` in Numba) with the a priori bound gamma_n sum |a||b|.

* :func:`residual_step`, :func:`contraction_radius` -- |R g(x~)| and |K(X) - x~| for the box
  x~ +- r (:func:`.krawczyk._contracts`);
* :func:`diagonal_margin` -- a lower bound of lambda_min(-(Jh + Jh^T)) over the enclosure,
  Jh = diag(d)^-1 J diag(d) with d powers of two: P = I in the Lyapunov test
  (:func:`.lyapunov._lyapunov_margin`);
* :func:`own_block_margin` -- a lower bound of lambda_min(-sym(J_pp)) over a diagonal block
  (strong concavity of one player, :func:`.nash_gap.gap_from_certificate`).
"""
from __future__ import annotations

import numpy as np
from numba import njit

from .ball import U
from .cholesky import lambda_min_symmetric
from .scalar_ball import _grow


@njit(cache=True)
def _exact_times_ball(A, Bm, Br):
    """A @ (Bm +- Br) for an exact float matrix A: (mid, rad) as in :func:`.ball.matmul`."""
    n = A.shape[1]
    g = 2.0 * (n + 1) * U
    mid = np.dot(A, Bm)
    rad = np.dot(np.abs(A), g * np.abs(Bm) + Br)
    return mid, _grow(rad, n + 3)


@njit(cache=True)
def residual_step(R, gm, gr):
    """A float vector >= |R g| entrywise for the ball vector g = gm +- gr (R exact)."""
    n = gm.size
    am, ar = _exact_times_ball(R, gm.reshape(n, 1), gr.reshape(n, 1))
    return _grow(np.abs(am[:, 0]) + ar[:, 0], 1)


@njit(cache=True)
def contraction_radius(R, Jm, Jr, a_abs, r):
    """k_rad >= |K(X) - x~| entrywise, K(X) - x~ = -R g(x~) + (I - R J(X)) (X - x~) on the box
    x~ +- r, given a_abs >= |R g(x~)|."""
    n = r.size
    pm, pr = _exact_times_ball(R, Jm, Jr)
    c_abs = np.empty((n, n))
    for i in range(n):
        for j in range(n):
            m = -pm[i, j] + (1.0 if i == j else 0.0)
            c_abs[i, j] = _grow(abs(m) + _grow(pr[i, j] + U * abs(m), 1), 1)
    return _grow(a_abs + _grow(np.dot(c_abs, r), n + 2), 1)


@njit(cache=True)
def diagonal_margin(Jm, Jr, d):
    """Lower bound of lambda_min(-(Jh + Jh^T)) over the enclosure (-inf if none), Jh = D^-1 J D,
    D = diag(d), d powers of two (so Jh is exact)."""
    n = d.size
    Qm = np.empty((n, n))
    Qr = np.empty((n, n))
    for i in range(n):
        for j in range(n):
            a = Jm[i, j] * (d[j] / d[i])
            b = Jm[j, i] * (d[i] / d[j])
            m = a + b                                  # fl(a + b) = fl(b + a): Q is symmetric
            ra = Jr[i, j] * (d[j] / d[i])
            rb = Jr[j, i] * (d[i] / d[j])
            Qm[i, j] = -m
            Qr[i, j] = _grow(ra + rb + U * abs(m), 2)
    for i in range(n):                                  # sym(Q): radius max(r, r^T)
        for j in range(i):
            t = max(Qr[i, j], Qr[j, i])
            Qr[i, j] = t
            Qr[j, i] = t
    return lambda_min_symmetric(Qm, Qr)


@njit(cache=True)
def own_block_margin(Jm, Jr, lo, hi):
    """Lower bound of lambda_min(-sym(J[lo:hi, lo:hi])) over the enclosure (-inf if none)."""
    n = hi - lo
    Sm = np.empty((n, n))
    Sr = np.empty((n, n))
    symmetric = True
    for i in range(n):
        for j in range(n):
            if Jm[lo + i, lo + j] != Jm[lo + j, lo + i]:
                symmetric = False
    for i in range(n):
        for j in range(n):
            a = -Jm[lo + i, lo + j]
            if symmetric:
                Sm[i, j] = a
                Sr[i, j] = max(Jr[lo + i, lo + j], Jr[lo + j, lo + i])
            else:
                m = (a - Jm[lo + j, lo + i]) * 0.5
                Sm[i, j] = m
                Sr[i, j] = _grow((Jr[lo + i, lo + j] + Jr[lo + j, lo + i]) * 0.5 + U * abs(m), 3)
    return lambda_min_symmetric(Sm, Sr)
