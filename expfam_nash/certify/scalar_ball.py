"""Scalar ball arithmetic for the Numba kernels of :mod:`.kernels`, :mod:`.cholesky` and
:mod:`.box_kernels`: a ball is a (mid, rad) pair of floats, and every operation returns a pair
whose radius bounds the exact result for every choice of the operands in their balls, in the
rounding model of :mod:`.ball` (``_grow`` is :func:`.ball.grow` compiled).
"""
from __future__ import annotations

import math

from numba import njit

from .ball import EPS_LIBM, ETA, U


@njit(cache=True, error_model="numpy")
def _grow(x, n):
    return x * (1.0 + 2.0 * (n + 2) * U) + ETA


@njit(cache=True, error_model="numpy")
def _add(am, ar, bm, br):
    m = am + bm
    return m, _grow(ar + br + U * abs(m), 2)


@njit(cache=True, error_model="numpy")
def _mul(am, ar, bm, br):
    m = am * bm
    return m, _grow(abs(am) * br + ar * (abs(bm) + br) + U * abs(m), 4)


@njit(cache=True, error_model="numpy")
def _mulc(am, ar, c):
    if c == 1.0:                       # exact
        return am, ar
    if c == 0.0:
        return 0.0, 0.0
    m = am * c
    return m, _grow(ar * abs(c) + U * abs(m), 2)


@njit(cache=True, error_model="numpy")
def _recip(am, ar):
    a = abs(am)
    gap = a - ar
    if not gap > 0:
        return 1.0 / am if am != 0 else math.inf, math.inf
    m = 1.0 / am
    return m, _grow(ar / (a * gap) + U * abs(m), 5)


@njit(cache=True, error_model="numpy")
def _exp(am, ar):
    e = math.exp(am)
    if ar > 1.0 or not math.isfinite(e) or math.isnan(ar):
        return e, math.inf
    return e, (e * ((ar + ar * ar + EPS_LIBM) * (1.0 + 2.0 * EPS_LIBM))) * (1.0 + 16.0 * U) + ETA



@njit(cache=True, error_model="numpy")
def _down(x):
    """A float <= the exact value of a computed difference/sum ``x`` (:func:`.ball.down`)."""
    return x - (2.0 * U * abs(x) + ETA)
