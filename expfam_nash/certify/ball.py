"""Midpoint-radius ("ball") arithmetic in binary64 with rigorous radii.

A :class:`Ball` holds arrays ``mid`` and ``rad`` and stands for every real array x with
|x - mid| <= rad entrywise. Every operation returns a ball that contains the exact real result
for every choice of the operands inside their balls. Plain NumPy arrays and Python floats given
as operands are *exact* real numbers (the game's data: features, weights, alpha, rho).

Rounding model (IEEE-754 binary64, round to nearest, u = 2^-53):

* + - * / and sqrt:  |fl(a op b) - (a op b)| <= u |fl(a op b)| + eta  (eta = 2^-1075: underflow
  in * and /; + and - are exact in the subnormal range);
* a dot product or sum of L terms in ANY order (BLAS, NumPy's pairwise sums, with or without
  FMA):  |fl(sum) - sum| <= gamma_L sum |terms|,  gamma_L = L u / (1 - L u) <= 2 (L + 1) u;
* exp from libm (here through Numba's ``math.exp``): relative error <= EPS_LIBM = 8u (4 ulp) --
  an ASSUMPTION (glibc documents < 1 ulp); it is the only one beyond IEEE-754, and
  ``tests/test_certify_ball.py`` checks it against arb on many arguments.

Radii are computed in floating point from non-negative terms; :func:`grow` turns such a
computed value into an upper bound of the exact value (see its docstring for the proof).
"""
from __future__ import annotations

import math

import numpy as np
from numba import njit

#: unit roundoff of binary64 with rounding to nearest
U = 2.0 ** -53
#: absolute allowance added to every radius: covers all underflow errors (each <= 2^-1075) and
#: the rounding of the final addition. It is far above the subnormal range on purpose (products
#: of radii with data then stay normal: subnormal operands slow BLAS down a hundredfold) and far
#: below any scale a game has (1e-181).
ETA = 2.0 ** -600
#: assumed bound on the relative error of libm's exp (4 ulp <= 8u); see the module docstring
EPS_LIBM = 8.0 * U
RIGOUR_BALL = ("IEEE-754 binary64 arithmetic with rounding to nearest; libm exp accurate to 4 ulp "
               "(glibc documents < 1 ulp); BLAS products carry the a priori bound gamma_L sum|a||b| "
               "(any summation order, FMA allowed)")


def gamma(n: int) -> float:
    """A float >= gamma_n = n u / (1 - n u) (valid while n u <= 1/2)."""
    return 2.0 * (n + 1) * U


def grow(x, n: int):
    """Upper bound of the exact value E of a non-negative expression whose floating-point value
    ``x`` was computed with at most ``n`` roundings along every term's path.

    Each term picked up a factor in [(1-u)^n, (1+u)^n], so E <= x / (1-u)^n <= x (1 + 2 n u).
    fl(x * f) with f = 1 + 2(n+2)u >= x (1 + (2n+2) u) leaves 2u x for the rounding of the final
    ``+ ETA``, and ETA covers every underflow (and x = inf stays inf)."""
    return x * (1.0 + 2.0 * (n + 2) * U) + ETA


def down(x):
    """A float <= the exact value of a computed difference/sum ``x`` obtained with one rounding."""
    return x - (2.0 * U * np.abs(x) + ETA)


@njit(cache=True)
def _exp_kernel(mid, rad, out_mid, out_rad):
    """exp over [mid - rad, mid + rad]: e = exp(mid) from libm (relative error <= EPS_LIBM);
    |exp(x) - e| <= exp(mid) (e^rad - 1) + EPS_LIBM exp(mid) <= e (1 + 2 EPS_LIBM)(rad + rad^2 + EPS_LIBM)
    for rad <= 1 (e^r - 1 <= r + r^2 there); rad > 1 gives an infinite radius (the caller fails)."""
    f = 1.0 + 2.0 * 8.0 * U
    for i in range(mid.size):
        e = math.exp(mid[i])
        r = rad[i]
        out_mid[i] = e
        if r > 1.0 or not math.isfinite(e) or math.isnan(r):
            out_rad[i] = math.inf
        else:
            out_rad[i] = (e * ((r + r * r + EPS_LIBM) * (1.0 + 2.0 * EPS_LIBM))) * f + ETA


def _as_exact(x) -> np.ndarray:
    return np.asarray(x, dtype=np.float64)


_NUMERIC = (np.ndarray, float, int, np.floating, np.integer)


class Ball:
    """An array of real balls (mid, rad); see the module docstring for the semantics."""

    __array_ufunc__ = None          # NumPy defers to our reflected operators
    __slots__ = ("mid", "rad")

    def __init__(self, mid, rad=None):
        self.mid = np.asarray(mid, dtype=np.float64)
        self.rad = np.zeros_like(self.mid) if rad is None else np.asarray(rad, dtype=np.float64)
        if self.rad.shape != self.mid.shape:
            self.rad = np.broadcast_to(self.rad, self.mid.shape).copy()

    # -- construction and views ------------------------------------------------------------
    @staticmethod
    def exact(x) -> "Ball":
        return Ball(_as_exact(x))

    @staticmethod
    def lift(x) -> "Ball":
        return x if isinstance(x, Ball) else Ball.exact(x)

    @property
    def shape(self):
        return self.mid.shape

    @property
    def ndim(self):
        return self.mid.ndim

    @property
    def size(self):
        return self.mid.size

    @property
    def T(self) -> "Ball":
        return Ball(self.mid.T, self.rad.T)

    def swap_last(self) -> "Ball":
        return Ball(np.swapaxes(self.mid, -1, -2), np.swapaxes(self.rad, -1, -2))

    def __getitem__(self, idx) -> "Ball":
        return Ball(self.mid[idx], self.rad[idx])

    def reshape(self, *shape) -> "Ball":
        return Ball(self.mid.reshape(*shape), self.rad.reshape(*shape))

    def transpose(self, *axes) -> "Ball":
        return Ball(self.mid.transpose(*axes), self.rad.transpose(*axes))

    def broadcast_to(self, shape) -> "Ball":
        return Ball(np.broadcast_to(self.mid, shape), np.broadcast_to(self.rad, shape))

    @staticmethod
    def concatenate(parts, axis=0) -> "Ball":
        parts = [Ball.lift(p) for p in parts]
        return Ball(np.concatenate([p.mid for p in parts], axis), np.concatenate([p.rad for p in parts], axis))

    @staticmethod
    def stack(parts, axis=0) -> "Ball":
        parts = [Ball.lift(p) for p in parts]
        return Ball(np.stack([p.mid for p in parts], axis), np.stack([p.rad for p in parts], axis))

    @staticmethod
    def where(mask, a, b) -> "Ball":
        a, b = Ball.lift(a), Ball.lift(b)
        return Ball(np.where(mask, a.mid, b.mid), np.where(mask, a.rad, b.rad))

    def upper_abs(self) -> np.ndarray:
        """A float array >= |x| for every x in the ball."""
        return grow(np.abs(self.mid) + self.rad, 1)

    def lower_abs(self) -> np.ndarray:
        """A float array <= |x| for every x in the ball (0 where the ball contains 0)."""
        return np.maximum(down(np.abs(self.mid) - self.rad), 0.0)

    def contains(self, x) -> np.ndarray:
        """True where the exact value x (floats) certainly lies in the ball (conservative)."""
        x = _as_exact(x)
        return np.abs(x - self.mid) * (1.0 + 4.0 * U) <= self.rad

    def is_finite(self) -> bool:
        return bool(np.all(np.isfinite(self.mid)) and np.all(np.isfinite(self.rad)))

    def __repr__(self) -> str:
        return f"Ball(shape={self.shape}, max rad={float(np.max(self.rad, initial=0.0)):.3g})"

    # -- arithmetic ----------------------------------------------------------------------------
    def __neg__(self) -> "Ball":
        return Ball(-self.mid, self.rad)

    def __add__(self, other) -> "Ball":
        if not isinstance(other, (Ball,) + _NUMERIC):
            return NotImplemented
        if isinstance(other, Ball):
            m = self.mid + other.mid
            return Ball(m, grow(self.rad + other.rad + U * np.abs(m), 2))
        o = _as_exact(other)
        m = self.mid + o
        return Ball(m, grow(self.rad + U * np.abs(m), 1))

    __radd__ = __add__

    def __sub__(self, other) -> "Ball":
        if not isinstance(other, (Ball,) + _NUMERIC):
            return NotImplemented
        return self + (-other if isinstance(other, Ball) else -_as_exact(other))

    def __rsub__(self, other) -> "Ball":
        if not isinstance(other, _NUMERIC):
            return NotImplemented
        return (-self) + other

    def __mul__(self, other) -> "Ball":
        if not isinstance(other, (Ball,) + _NUMERIC):
            return NotImplemented
        if isinstance(other, Ball):
            m = self.mid * other.mid
            r = np.abs(self.mid) * other.rad + self.rad * (np.abs(other.mid) + other.rad) + U * np.abs(m)
            return Ball(m, grow(r, 4))
        o = _as_exact(other)
        m = self.mid * o
        return Ball(m, grow(self.rad * np.abs(o) + U * np.abs(m), 2))

    __rmul__ = __mul__

    def recip(self) -> "Ball":
        """1/x; a ball containing 0 gives an infinite radius.
        |1/x - 1/m| <= r / (|m| (|m| - r)) for |x - m| <= r < |m|."""
        a = np.abs(self.mid)
        with np.errstate(divide="ignore", invalid="ignore"):
            m = 1.0 / self.mid
            gap = a - self.rad                       # computed with one rounding: exact >= gap (1 - u)
            r = np.where(gap > 0, self.rad / (a * gap), np.inf)
        return Ball(m, grow(r + U * np.abs(m), 5))

    def __truediv__(self, other) -> "Ball":
        if not isinstance(other, (Ball,) + _NUMERIC):
            return NotImplemented
        if isinstance(other, Ball):
            return self * other.recip()
        return self * Ball.exact(other).recip()

    def __rtruediv__(self, other) -> "Ball":
        if not isinstance(other, _NUMERIC):
            return NotImplemented
        return self.recip() * other

    def square(self) -> "Ball":
        """x^2 (tighter than x * x around 0)."""
        a = np.abs(self.mid)
        m = self.mid * self.mid
        return Ball(m, grow(self.rad * (2.0 * a + self.rad) + U * m, 4))

    def sum(self, axis=None) -> "Ball":
        """Sum along ``axis``: |fl(sum m) - sum m| <= gamma_L sum |m| in any order."""
        n = self.mid.size if axis is None else self.mid.shape[axis]
        m = np.sum(self.mid, axis=axis)
        r = np.sum(self.rad, axis=axis) + gamma(n) * np.sum(np.abs(self.mid), axis=axis)
        return Ball(m, grow(r, n + 3))

    def prod_last(self) -> "Ball":
        """Product along the last axis (sequential)."""
        out = self[..., 0]
        for c in range(1, self.shape[-1]):
            out = out * self[..., c]
        return out

    def exp(self) -> "Ball":
        mid = np.ascontiguousarray(self.mid).ravel()
        rad = np.ascontiguousarray(self.rad).ravel()
        om, orad = np.empty_like(mid), np.empty_like(mid)
        _exp_kernel(mid, rad, om, orad)
        return Ball(om.reshape(self.shape), orad.reshape(self.shape))

    def sigmoid_pair(self) -> tuple["Ball", "Ball"]:
        """(sigma(x), sigma(-x)) from exp(-|x|)-type formulas chosen by the sign of the midpoint
        (both formulas are exact identities for every real x, so any choice is rigorous)."""
        pos = self.mid >= 0
        t = Ball(np.where(pos, -self.mid, self.mid), self.rad).exp()       # exp(-x) or exp(x)
        inv = (t + 1.0).recip()                                            # 1 / (1 + t)
        small = t * inv                                                     # t / (1 + t)
        s = Ball.where(pos, inv, small)
        o = Ball.where(pos, small, inv)
        return s, o

    # -- products ------------------------------------------------------------------------------
    def __matmul__(self, other) -> "Ball":
        if not isinstance(other, (Ball, np.ndarray)):
            return NotImplemented
        return matmul(self, other)

    def __rmatmul__(self, other) -> "Ball":
        if not isinstance(other, np.ndarray):
            return NotImplemented
        return matmul(other, self)


def matmul(a, b) -> Ball:
    """Rigorous a @ b (batched like np.matmul) for balls or exact arrays, with BLAS:
    mid = fl(am bm); rad >= |am| br + ar (|bm| + br) + gamma_L |am||bm| (L = inner dimension)."""
    if not isinstance(a, Ball) and not isinstance(b, Ball):
        a = Ball.exact(a)
    if isinstance(a, Ball) and isinstance(b, Ball):
        n = a.shape[-1]
        g = gamma(n)
        am_abs, bm_abs = np.abs(a.mid), np.abs(b.mid)
        mid = a.mid @ b.mid
        if not a.rad.any() and not b.rad.any():
            return Ball(mid, grow(g * (am_abs @ bm_abs), n + 2))
        rad = am_abs @ (g * bm_abs + b.rad) + a.rad @ (bm_abs + b.rad)
        return Ball(mid, grow(rad, n + 4))
    if isinstance(a, Ball):
        b = _as_exact(b)
        n = a.shape[-1]
        return Ball(a.mid @ b, grow((gamma(n) * np.abs(a.mid) + a.rad) @ np.abs(b), n + 3))
    a = _as_exact(a)
    n = a.shape[-1]
    return Ball(a @ b.mid, grow(np.abs(a) @ (gamma(n) * np.abs(b.mid) + b.rad), n + 3))
