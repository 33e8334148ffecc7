"""Forward-mode differentiation over a ball backend (:class:`Ball` or :class:`ArbArray`).

A :class:`Dual` carries a value ``val`` (shape S) and its derivatives ``der`` (shape (P,) + S)
with respect to P input parameters. Every rule is the exact derivative of the exact operation
evaluated in ball arithmetic, so when the inputs are balls over a box X the derivative part
encloses the Jacobian at every point of X (interval forward differentiation). Operands that are
not Duals are constants (derivative 0).
"""
from __future__ import annotations

import numpy as np


def _lift(backend, x):
    return x if isinstance(x, backend) else backend.exact(x)


class Dual:
    __array_ufunc__ = None
    __slots__ = ("val", "der")

    def __init__(self, val, der):
        self.val, self.der = val, der

    @staticmethod
    def seed(val, seeds: np.ndarray) -> "Dual":
        """Input variable: ``seeds`` (P,) + val.shape exact 0/1 array, d val / d param_p."""
        return Dual(val, type(val).exact(seeds))

    @property
    def backend(self):
        return type(self.val)

    @property
    def shape(self):
        return self.val.shape

    @property
    def T(self) -> "Dual":
        return Dual(self.val.T, self.der.transpose(0, *range(self.der.ndim - 1, 0, -1)))

    def swap_last(self) -> "Dual":
        return Dual(self.val.swap_last(), self.der.swap_last())

    def __getitem__(self, idx) -> "Dual":
        idx = idx if isinstance(idx, tuple) else (idx,)
        return Dual(self.val[idx], self.der[(slice(None),) + idx])

    def reshape(self, *shape) -> "Dual":
        shape = shape[0] if len(shape) == 1 and isinstance(shape[0], tuple) else shape
        return Dual(self.val.reshape(*shape), self.der.reshape(self.der.shape[0], *shape))

    @staticmethod
    def _parts(x, like: "Dual"):
        if isinstance(x, Dual):
            return x.val, x.der
        return x, None

    # -- arithmetic ----------------------------------------------------------------------------
    def __neg__(self) -> "Dual":
        return Dual(-self.val, -self.der)

    def __add__(self, o) -> "Dual":
        v, d = self._parts(o, self)
        val = self.val + v
        der = _expand(self.der, val.ndim)
        return Dual(val, der if d is None else der + _expand(d, val.ndim))

    __radd__ = __add__

    def __sub__(self, o) -> "Dual":
        return self + (-o if isinstance(o, Dual) else -_lift(self.backend, o))

    def __rsub__(self, o) -> "Dual":
        return (-self) + o

    def __mul__(self, o) -> "Dual":
        v, d = self._parts(o, self)
        val = self.val * v
        der = _expand(self.der, val.ndim) * v
        if d is not None:
            der = der + _expand(d, val.ndim) * self.val
        return Dual(val, der)

    __rmul__ = __mul__

    def recip(self) -> "Dual":
        r = self.val.recip()
        return Dual(r, -(self.der * r.square()))

    def __truediv__(self, o) -> "Dual":
        if isinstance(o, Dual):
            return self * o.recip()
        return self * _lift(self.backend, o).recip()

    def __rtruediv__(self, o) -> "Dual":
        return self.recip() * o

    def square(self) -> "Dual":
        return Dual(self.val.square(), self.der * (self.val * 2.0))

    def sum(self, axis=None) -> "Dual":
        if axis is None:
            return Dual(self.val.sum(), self.der.reshape(self.der.shape[0], -1).sum(axis=1))
        ax = axis if axis >= 0 else self.val.ndim + axis
        return Dual(self.val.sum(axis=ax), self.der.sum(axis=ax + 1))

    def prod_last(self) -> "Dual":
        out = self[..., 0]
        for c in range(1, self.shape[-1]):
            out = out * self[..., c]
        return out

    def exp(self) -> "Dual":
        e = self.val.exp()
        return Dual(e, self.der * e)

    def sigmoid_pair(self):
        s, o = self.val.sigmoid_pair()
        slope = s * o
        return Dual(s, self.der * slope), Dual(o, -(self.der * slope))

    def __matmul__(self, o) -> "Dual":
        v, d = self._parts(o, self)
        der = self.der @ v                  # (P, .., i, j) @ (j, k) or (j,)
        if d is not None:
            der = der + self.val @ d        # (i, j) @ (P, j, k)
        return Dual(self.val @ v, der)

    def __rmatmul__(self, o) -> "Dual":
        return Dual(o @ self.val, o @ self.der)

    # -- structure ---------------------------------------------------------------------------
    @staticmethod
    def concatenate(parts, axis=0) -> "Dual":
        ref = next(p for p in parts if isinstance(p, Dual))
        B, n = ref.backend, ref.der.shape[0]
        vals, ders = [], []
        for p in parts:
            if isinstance(p, Dual):
                vals.append(p.val)
                ders.append(p.der)
            else:
                p = _lift(B, p)
                vals.append(p)
                ders.append(B.exact(np.zeros((n,) + p.shape)))
        ax = axis if axis >= 0 else ref.val.ndim + axis
        return Dual(B.concatenate(vals, ax), B.concatenate(ders, ax + 1))

    @staticmethod
    def where(mask, a: "Dual", b: "Dual") -> "Dual":
        B = a.backend
        val = B.where(mask, a.val, b.val)
        return Dual(val, B.where(mask, _expand(a.der, val.ndim), _expand(b.der, val.ndim)))


def _expand(der, ndim: int):
    """Insert singleton axes after the direction axis so that der broadcasts like a value of ``ndim`` dims."""
    extra = ndim - (der.ndim - 1)
    if extra <= 0:
        return der
    return der.reshape(der.shape[0], *((1,) * extra), *der.shape[1:])
