"""exp in the kernels' work dtype, by pure arithmetic so that the loops calling it vectorise:
:func:`_exp32` for float32 (within 1.3 ulp of the correctly rounded exp on [-87, 88], exactly 0
below -87, NaN stays NaN) and :func:`expfam_nash.neural.kernels._exp` for float64 (within 1 ulp of
libm). :func:`_expw` picks one by the argument's type at compile time.
"""
from __future__ import annotations

import math

import numpy as np
from llvmlite import ir
from numba import njit, types
from numba.extending import intrinsic, overload

from ..neural.kernels import _exp

_JIT = dict(cache=True, error_model="numpy")


@intrinsic
def _bitcast_i32_f32(typingctx, bits):
    def codegen(context, builder, sig, args):
        return builder.bitcast(args[0], ir.FloatType())
    return types.float32(types.int32), codegen


_F = np.float32
_L2E, _ROUND32 = _F(1.4426950408889634), _F(12582912.0)       # log2 e; 1.5 * 2^23 rounds to integers
_LN2_HI32, _LN2_LO32 = _F(0.693359375), _F(-2.12194440e-4)      # ln 2 split: k * hi exact for |k| < 2^11
_C32 = tuple(_F(1.0 / math.factorial(i)) for i in range(8))
_UNDER32 = _F(-87.0)


@njit(inline="always", **_JIT)
def _exp32(x):
    """exp of a float32 by pure arithmetic (vectorises): x = k ln 2 + r, |r| <= ln(2)/2,
    exp(r) by its degree-7 Taylor polynomial (remainder < 6e-9 relative), 2^k from exponent bits.
    Within 1.3 ulp of the correctly rounded float32 exp on [-87, 88]; 0 below -87 (where exp is
    below 1.7e-38); NaN stays NaN."""
    under = x < _UNDER32
    x = _UNDER32 if under else x
    t = x * _L2E + _ROUND32
    k = t - _ROUND32
    r = (x - k * _LN2_HI32) - k * _LN2_LO32
    r2 = r * r
    p = (_C32[0] + r) + r2 * ((_C32[2] + _C32[3] * r) + r2 * ((_C32[4] + _C32[5] * r) + r2 * (_C32[6] + _C32[7] * r)))
    v = p * _bitcast_i32_f32((np.int32(k) + np.int32(127)) << np.int32(23))
    return _F(0.0) if under else v


def exp32(x: np.ndarray) -> np.ndarray:
    """:func:`_exp32` elementwise on a float32 array (for tests)."""
    x = np.ascontiguousarray(x, dtype=np.float32)
    out = np.empty_like(x)
    _exp32_array(x.ravel(), out.ravel())
    return out


@njit(**_JIT)
def _exp32_array(x, out):
    for i in range(x.size):
        out[i] = _exp32(x[i])


def _expw(x):
    return math.exp(x)


@overload(_expw, inline="always")
def _expw_jit(x):
    """exp in the work dtype: :func:`_exp32` for float32, :func:`_exp` otherwise."""
    if x == types.float32:
        return lambda x: _exp32(x)
    return lambda x: _exp(np.float64(x))
