"""A certified continuum: the tabular pair without labels or penalty.

Theorem (docs/certify.md): for categorical families with one-hot lifts on both sides, alpha = 0,
rho = 0 and data and prior of full support, the interior Nash equilibria are exactly the
couplings P of pi(x) and pi(z) with full support, through p(x|z) = P / pi(z), q(z|x) = P / pi(x).
They form a manifold of dimension (|X| - 1)(|Z| - 1) in parameter space.

Given a point, the coupling P~ = pi(x) q(z|x) of its encoder is corrected to exact marginals,

    P = P~ + r pi_z^T + pi_x c^T - (1 - sum P~) pi_x pi_z^T,   r = pi_x - P~ 1,  c = pi_z - P~^T 1,

(row sums pi_x and column sums pi_z in exact arithmetic), enclosed in arb; if every entry is
certainly positive, the natural parameters theta[i-1, j] = log P_ij - log P_0j and
phi[j-1, i] = log P_ij - log P_i0 enclose an exact equilibrium v*. The tangent space at v* is
spanned by the images of the zero-marginal matrices D_ab = (e_a - e_0)(e_b - e_0)^T.
"""
from __future__ import annotations

import numpy as np

from . import arb as arb_backend
from .adapters import FiniteArrays
from .ball import Ball


def applies(fa: FiniteArrays) -> str | None:
    """None when the coupling theorem applies to the game, else the reason it does not."""
    if not fa.one_hot:
        return "not a tabular pair (categorical families with one-hot lifts)"
    if fa.alpha != 0 or fa.rho != 0:
        return "the coupling argument needs alpha = 0 and rho = 0"
    nx, nz = fa.T_X.shape[0], fa.S_Z.shape[0]
    if not (np.array_equal(np.sort(fa.data_index), np.arange(nx)) and np.all(fa.pi_D > 0)):
        return "the data do not have full support"
    if not (np.array_equal(np.sort(fa.prior_index), np.arange(nz)) and np.all(fa.pi_P > 0)):
        return "the prior does not have full support"
    return None


def coupling_point(fa: FiniteArrays, theta: np.ndarray, phi: np.ndarray):
    """(v* Ball on the flat layout, tangents Ball (n, D), dimension D) or (None, None, reason)."""
    arb_backend.require()
    A = arb_backend.ArbArray
    nx, nz = fa.T_X.shape[0], fa.S_Z.shape[0]
    with arb_backend.precision():
        pi_x = A.exact(_marginal(fa.data_index, fa.pi_D, nx))
        pi_z = A.exact(_marginal(fa.prior_index, fa.pi_P, nz))
        eta = phi.T                                           # (nx, nz-1): natural params of q(.|x)
        full = np.column_stack([np.zeros(nx), eta])
        q = np.exp(full - full.max(axis=1, keepdims=True))
        q /= q.sum(axis=1, keepdims=True)
        P = A.exact(q) * pi_x[:, None]                        # P~ (the float q is just a starting point)
        r = pi_x - P.sum(axis=1)
        c = pi_z - P.sum(axis=0)
        s = P.sum()
        P = P + r[:, None] * pi_z[None, :] + pi_x[:, None] * c[None, :] - (1.0 - s) * (pi_x[:, None] * pi_z[None, :])
        low = np.frompyfunc(lambda a: a > 0, 1, 1)(P.a).astype(bool)
        if not low.all():
            return None, None, "the corrected coupling is not certainly positive"
        logP = A(np.frompyfunc(lambda a: a.log(), 1, 1)(P.a))
        th = (logP[1:, :] - logP[0:1, :])                      # (nx-1, nz)
        ph = (logP[:, 1:] - logP[:, 0:1]).T                    # (nz-1, nx)
        v = A.concatenate([th.reshape(-1), ph.reshape(-1)])
        inv = P.recip()
        cols = []
        for a in range(1, nx):
            for b in range(1, nz):
                D = np.zeros((nx, nz))
                D[a, b], D[a, 0], D[0, b], D[0, 0] = 1.0, -1.0, -1.0, 1.0
                dlog = inv * D                                  # d log P along D
                dth = dlog[1:, :] - dlog[0:1, :]
                dph = (dlog[:, 1:] - dlog[:, 0:1]).T
                cols.append(A.concatenate([dth.reshape(-1), dph.reshape(-1)]))
        T = A.stack(cols, axis=1)
        return v.to_ball(), T.to_ball(), (nx - 1) * (nz - 1)


def _marginal(index: np.ndarray, weights: np.ndarray, size: int) -> np.ndarray:
    out = np.zeros(size)
    out[index] = weights          # full support and no repeats (checked by ``applies``)
    return out


__all__ = ["applies", "coupling_point", "Ball"]
