"""The ``arb`` backend: arrays of python-flint ``arb`` balls with the interface of :class:`Ball`.

Arb (python-flint) evaluates every operation, exp included, with rigorous error bounds in
arbitrary precision: no assumption on libm or on BLAS. Arrays are NumPy object arrays of
``flint.arb`` (NumPy's broadcasting does the bookkeeping), and 2-D products go through
``flint.arb_mat`` (C speed). :func:`to_ball` rounds an arb array outward to a float :class:`Ball`.
"""
from __future__ import annotations

import contextlib

import numpy as np

from .ball import Ball

try:                      # python-flint is an optional extra ("certify"); the ball backend needs none
    import flint
    from flint import arb, arb_mat
except ImportError:       # pragma: no cover - exercised only without the extra
    flint = arb = arb_mat = None

#: working precision (bits) of the arb backend
PREC = 128
RIGOUR_ARB = ("Arb ball arithmetic (python-flint) at 128 bits for the game's functions, no assumption on "
              "libm or BLAS; linear algebra in arb_mat products and IEEE-754 binary64 with rounding to nearest")


def available() -> bool:
    return arb is not None


def require() -> None:
    if arb is None:
        raise ValueError("method: 'arb' needs python-flint (pip install 'expfam-nash[certify]')")


@contextlib.contextmanager
def precision(bits: int = PREC):
    """Set flint's (global) working precision for the duration of a block."""
    require()
    old = flint.ctx.prec
    flint.ctx.prec = bits
    try:
        yield
    finally:
        flint.ctx.prec = old


_to_arb = np.frompyfunc(lambda v: arb(float(v)), 1, 1)
_exp = np.frompyfunc(lambda a: a.exp(), 1, 1)
_mid = np.frompyfunc(lambda a: float(a.mid()), 1, 1)


def _exact(x) -> np.ndarray:
    arr = np.asarray(x)
    if arr.dtype == object:
        return arr
    return np.asarray(_to_arb(np.asarray(arr, dtype=np.float64)), dtype=object)


def _rad_up(a, m):
    """A float >= |a - m| for every point of the arb ball a (m a float)."""
    ub = float((a - m).abs_upper())
    return float(np.nextafter(ub, np.inf))


_rad = np.frompyfunc(_rad_up, 2, 1)


class ArbArray:
    """An object array of ``flint.arb`` with the :class:`Ball` interface."""

    __array_ufunc__ = None
    __slots__ = ("a",)

    def __init__(self, a):
        self.a = np.asarray(a, dtype=object)

    @staticmethod
    def exact(x) -> "ArbArray":
        return ArbArray(_exact(x))

    @staticmethod
    def from_ball(b: Ball) -> "ArbArray":
        """The arb balls [mid +- rad] (exact conversion)."""
        out = np.frompyfunc(lambda m, r: arb(float(m), float(r)), 2, 1)(b.mid, b.rad)
        return ArbArray(np.asarray(out, dtype=object))

    @staticmethod
    def lift(x) -> "ArbArray":
        return x if isinstance(x, ArbArray) else ArbArray.exact(x)

    @property
    def shape(self):
        return self.a.shape

    @property
    def ndim(self):
        return self.a.ndim

    @property
    def T(self):
        return ArbArray(self.a.T)

    def swap_last(self):
        return ArbArray(np.swapaxes(self.a, -1, -2))

    def __getitem__(self, idx):
        return ArbArray(self.a[idx])

    def reshape(self, *shape):
        return ArbArray(self.a.reshape(*shape))

    def transpose(self, *axes):
        return ArbArray(self.a.transpose(*axes))

    def broadcast_to(self, shape):
        return ArbArray(np.broadcast_to(self.a, shape))

    @staticmethod
    def concatenate(parts, axis=0):
        return ArbArray(np.concatenate([ArbArray.lift(p).a for p in parts], axis))

    @staticmethod
    def stack(parts, axis=0):
        return ArbArray(np.stack([ArbArray.lift(p).a for p in parts], axis))

    @staticmethod
    def where(mask, a, b):
        return ArbArray(np.where(mask, ArbArray.lift(a).a, ArbArray.lift(b).a))

    def mids(self) -> np.ndarray:
        return np.asarray(_mid(self.a), dtype=np.float64).reshape(self.shape)

    def to_ball(self) -> Ball:
        """Outward rounding: mid = nearest float to the arb midpoint, rad >= |x - mid| on the ball."""
        m = self.mids()
        r = np.asarray(_rad(self.a, m), dtype=np.float64).reshape(self.shape)
        return Ball(m, r)

    # -- arithmetic ----------------------------------------------------------------------------
    @staticmethod
    def _other(o):
        return o.a if isinstance(o, ArbArray) else _exact(o)

    @staticmethod
    def _foreign(o) -> bool:
        return not isinstance(o, (ArbArray, np.ndarray, float, int, np.floating, np.integer))

    def __neg__(self):
        return ArbArray(-self.a)

    def __add__(self, o):
        if self._foreign(o):
            return NotImplemented
        return ArbArray(self.a + self._other(o))

    __radd__ = __add__

    def __sub__(self, o):
        if self._foreign(o):
            return NotImplemented
        return ArbArray(self.a - self._other(o))

    def __rsub__(self, o):
        if self._foreign(o):
            return NotImplemented
        return ArbArray(self._other(o) - self.a)

    def __mul__(self, o):
        if self._foreign(o):
            return NotImplemented
        return ArbArray(self.a * self._other(o))

    __rmul__ = __mul__

    def recip(self):
        return ArbArray(1 / self.a)

    def __truediv__(self, o):
        if self._foreign(o):
            return NotImplemented
        return ArbArray(self.a / self._other(o))

    def __rtruediv__(self, o):
        if self._foreign(o):
            return NotImplemented
        return ArbArray(self._other(o) / self.a)

    def square(self):
        return ArbArray(self.a * self.a)

    def sum(self, axis=None):
        return ArbArray(np.asarray(np.sum(self.a, axis=axis), dtype=object))

    def prod_last(self):
        out = self[..., 0]
        for c in range(1, self.shape[-1]):
            out = out * self[..., c]
        return out

    def exp(self):
        return ArbArray(np.asarray(_exp(self.a), dtype=object).reshape(self.shape))

    def sigmoid_pair(self):
        pos = self.mids() >= 0
        t = ArbArray(np.where(pos, -self.a, self.a)).exp()
        inv = (t + 1.0).recip()
        small = t * inv
        return ArbArray.where(pos, inv, small), ArbArray.where(pos, small, inv)

    def __matmul__(self, o):
        if not isinstance(o, (ArbArray, np.ndarray)):
            return NotImplemented
        return arb_matmul(self, o)

    def __rmatmul__(self, o):
        if not isinstance(o, np.ndarray):
            return NotImplemented
        return arb_matmul(o, self)


def _mat2(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    if x.shape[0] == 0 or x.shape[1] == 0 or y.shape[1] == 0:
        return _exact(np.zeros((x.shape[0], y.shape[1])))
    prod = arb_mat(x.tolist()) * arb_mat(y.tolist())
    out = np.empty((x.shape[0], y.shape[1]), dtype=object)
    out.ravel()[:] = prod.entries()
    return out


def arb_matmul(a, b) -> ArbArray:
    """a @ b with arb_mat products (batched over leading axes like np.matmul)."""
    x, y = ArbArray.lift(a).a, ArbArray.lift(b).a
    vec_left, vec_right = x.ndim == 1, y.ndim == 1
    if vec_left:
        x = x[None, :]
    if vec_right:
        y = y[:, None]
    batch = np.broadcast_shapes(x.shape[:-2], y.shape[:-2])
    xb = np.broadcast_to(x, batch + x.shape[-2:])
    yb = np.broadcast_to(y, batch + y.shape[-2:])
    out = np.empty(batch + (x.shape[-2], y.shape[-1]), dtype=object)
    for idx in np.ndindex(*batch):
        out[idx] = _mat2(xb[idx], yb[idx])
    if vec_right:
        out = out[..., 0]
    if vec_left:
        out = out[..., 0, :] if not vec_right else out[..., 0]
    return ArbArray(out)
