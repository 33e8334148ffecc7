"""Element-wise and sampling kernels of the neural learner (Numba), each with a NumPy reference.

Matrix products go to BLAS (``numpy.matmul``); everything between them (bias + activation,
activation derivative + bias gradient, the exponential-family heads, sampling, Adam) is one
fused serial pass over the array here. Randomness stays outside: callers draw uniforms or
normals from a seeded ``numpy.random.Generator``, so results depend only on the seed.

Activation codes: 0 = identity, 1 = tanh, 2 = ReLU. All kernels work in float32 and float64
(Numba compiles one version per dtype); in-place kernels write into their first argument.

Speed notes (see benchmarks/README.md, "Neural learner"). Kernels compile with
``error_model="numpy"``: Numba's default ("python") guards every float division with a
ZeroDivisionError check, and that branch stops LLVM from vectorising the loop (no division
here can have a zero divisor). tanh, exp and log1p in the hot loops (bias + tanh, the
Bernoulli head and sampler) are :func:`_tanh` / :func:`_tanh32`, :func:`_exp` and
:func:`_log1p01`: pure float64 arithmetic (polynomials and exponent bits) instead of libm
calls, so those loops vectorise. They agree with libm to 1-2 ulp in float64, and the float32
tanh is the correctly rounded one at every test point; the compiled kernels and the same code
run by Python (``NUMBA_DISABLE_JIT=1``) give bit-identical results.
"""
from __future__ import annotations

import math

import numpy as np
from numba import njit

from ..core.constants import LOG_2PI
from ..kernels.fastmath import _exp, _log1p01, _tanh, _tanh32

IDENTITY, TANH, RELU = 0, 1, 2
ACTIVATIONS = {"identity": IDENTITY, "linear": IDENTITY, "tanh": TANH, "relu": RELU}

_JIT = dict(cache=True, error_model="numpy")


# -- vectorisable tanh, exp and log1p: the scalar primitives live in ``kernels.fastmath`` ------------
def tanh_reference(x):
    return np.tanh(x)


@njit(**_JIT)
def tanh(x, out):
    """out <- tanh(x) elementwise (1-d arrays of one dtype), as bias_activation computes it (for tests)."""
    if out.itemsize == 4:
        for i in range(x.size):
            out[i] = _tanh32(np.float64(x[i]))
    else:
        for i in range(x.size):
            out[i] = _tanh(np.float64(x[i]))


def exp_reference(x):
    return np.exp(x)


@njit(**_JIT)
def exp(x, out):
    """out <- exp(x) elementwise (1-d float64 arrays) with :func:`_exp` (for tests)."""
    for i in range(x.size):
        out[i] = _exp(np.float64(x[i]))


def log1p_reference(x):
    return np.log1p(x)


@njit(**_JIT)
def log1p(x, out):
    """out <- log1p(x) elementwise for 0 <= x <= 1 (1-d float64 arrays) with :func:`_log1p01` (for tests)."""
    for i in range(x.size):
        out[i] = _log1p01(np.float64(x[i]))


# -- layers -----------------------------------------------------------------------------------
@njit(**_JIT)
def bias_activation(a, b, act):
    """a <- act(a + b) in place (b broadcast over rows)."""
    n, m = a.shape
    if act == 1 and a.itemsize == 4:
        for i in range(n):
            for j in range(m):
                a[i, j] = _tanh32(np.float64(a[i, j] + b[j]))
    elif act == 1:
        for i in range(n):
            for j in range(m):
                a[i, j] = _tanh(np.float64(a[i, j] + b[j]))
    elif act == 2:
        for i in range(n):
            for j in range(m):
                v = a[i, j] + b[j]
                a[i, j] = 0.0 if v <= 0 else v        # NaN stays NaN, as np.maximum
    else:
        for i in range(n):
            for j in range(m):
                a[i, j] = a[i, j] + b[j]


def bias_activation_reference(a, b, act):
    v = a + b
    return np.tanh(v) if act == TANH else np.maximum(v, 0) if act == RELU else v


@njit(**_JIT)
def activation_backward(g, h, act, gb):
    """g <- g * act'(pre) written through the layer output h = act(pre); gb <- column sums of g.

    tanh' = 1 - h^2, relu' = 1[h > 0]."""
    n, m = g.shape
    for j in range(m):
        gb[j] = 0.0
    for i in range(n):
        for j in range(m):
            v = g[i, j]
            if act == 1:
                v *= 1.0 - h[i, j] * h[i, j]
            elif act == 2:
                if not h[i, j] > 0:                 # as the reference: NaN h passes no gradient
                    v = 0.0
            g[i, j] = v
            gb[j] += v


def activation_backward_reference(g, h, act):
    if act == TANH:
        g = g * (1 - h * h)
    elif act == RELU:
        g = g * (h > 0)
    return g, g.sum(0)


# -- exponential-family heads: log-density and its gradient in the network output -------------
@njit(**_JIT)
def bernoulli_head(o, t, grad, scale):
    """Bernoulli with logits o: log p(t) = sum_j t_j o_j - softplus(o_j).

    grad <- scale * (t - sigmoid(o)) (the gradient in o); returns log p per row (float64).
    softplus(e) = max(e, 0) + log1p(exp(-|e|)), sigmoid from the same exp(-|e|), in float64;
    the per-element pass vectorises, the row sums run in index order."""
    n, m = o.shape
    ll = np.empty(n)
    terms = np.empty(m)
    for i in range(n):
        for j in range(m):
            e = np.float64(o[i, j])
            ex = _exp(-abs(e))
            pos = e > 0
            sp = (e if pos else 0.0) + _log1p01(ex)
            sg = (1.0 if pos else ex) / (1.0 + ex)
            terms[j] = t[i, j] * o[i, j] - sp
            grad[i, j] = scale * (t[i, j] - sg)
        s = 0.0
        for j in range(m):
            s += terms[j]
        ll[i] = s
    return ll


def bernoulli_head_reference(o, t):
    o = o.astype(np.float64)
    return (t * o - np.logaddexp(0, o)).sum(1), t - 1 / (1 + np.exp(-o))


@njit(**_JIT)
def gaussian_fixed_head(o, t, grad, scale, variance):
    """N(o, variance I): log p(t) = -|t - o|^2 / (2 var) - d/2 log(2 pi var); grad = (t - o) / var."""
    n, m = o.shape
    ll = np.empty(n)
    const = -0.5 * m * math.log(2 * math.pi * variance)
    for i in range(n):
        s = 0.0
        for j in range(m):
            r = t[i, j] - o[i, j]
            s += r * r
            grad[i, j] = scale * r / variance
        ll[i] = const - 0.5 * s / variance
    return ll


def gaussian_fixed_head_reference(o, t, variance):
    r = (t - o).astype(np.float64)
    d = o.shape[1]
    return -0.5 * (r * r).sum(1) / variance - 0.5 * d * np.log(2 * np.pi * variance), r / variance


@njit(**_JIT)
def gaussian_learned_head(o, t, grad, scale, lo, hi):
    """N(mu, diag exp(s)) with o = (mu, s): per coordinate
    log p = -(t - mu)^2 exp(-s) / 2 - s / 2 - log(2 pi) / 2.

    s is clipped to [lo, hi] inside the density (the gradient is taken at the clipped value and
    passed straight through, so a clipped unit is pulled back rather than frozen)."""
    n, m2 = o.shape
    m = m2 // 2
    ll = np.empty(n)
    c = 0.5 * LOG_2PI
    for i in range(n):
        acc = 0.0
        for j in range(m):
            s = min(max(o[i, m + j], lo), hi)
            r = t[i, j] - o[i, j]
            prec = math.exp(-s)
            acc += -0.5 * r * r * prec - 0.5 * s - c
            grad[i, j] = scale * r * prec
            grad[i, m + j] = scale * 0.5 * (r * r * prec - 1.0)
        ll[i] = acc
    return ll


def gaussian_learned_head_reference(o, t, lo, hi):
    m = o.shape[1] // 2
    mu, s = o[:, :m].astype(np.float64), np.clip(o[:, m:].astype(np.float64), lo, hi)
    r = t - mu
    prec = np.exp(-s)
    ll = (-0.5 * r * r * prec - 0.5 * s - 0.5 * LOG_2PI).sum(1)
    return ll, np.concatenate([r * prec, 0.5 * (r * r * prec - 1)], axis=1)


@njit(**_JIT)
def categorical_head(o, t, grad, scale):
    """Softmax over the K outputs o; t is one-hot: log p = <t, o> - logsumexp(o); grad = t - softmax(o)."""
    n, m = o.shape
    ll = np.empty(n)
    for i in range(n):
        top = o[i, 0]
        for j in range(1, m):
            top = max(top, o[i, j])
        z = 0.0
        for j in range(m):
            z += math.exp(o[i, j] - top)
        lz = top + math.log(z)
        s = 0.0
        for j in range(m):
            s += t[i, j] * (o[i, j] - lz)
            grad[i, j] = scale * (t[i, j] - math.exp(o[i, j] - lz))
        ll[i] = s
    return ll


def categorical_head_reference(o, t):
    o = o.astype(np.float64)
    lz = np.logaddexp.reduce(o, axis=1, keepdims=True)
    return (t * (o - lz)).sum(1), t - np.exp(o - lz)


# -- sampling ---------------------------------------------------------------------------------
@njit(**_JIT)
def bernoulli_sample(o, u, out):
    """out <- 1[u < sigmoid(o)]."""
    n, m = o.shape
    for i in range(n):
        for j in range(m):
            out[i, j] = 1.0 if u[i, j] * (1.0 + _exp(-np.float64(o[i, j]))) < 1.0 else 0.0


def bernoulli_sample_reference(o, u):
    return (u < 1 / (1 + np.exp(-o.astype(np.float64)))).astype(o.dtype)


@njit(**_JIT)
def gaussian_learned_sample(o, eps, out, lo, hi):
    """out <- mu + exp(s / 2) eps with o = (mu, s), s clipped to [lo, hi]."""
    n, m = out.shape
    for i in range(n):
        for j in range(m):
            s = min(max(o[i, m + j], lo), hi)
            out[i, j] = o[i, j] + math.exp(0.5 * s) * eps[i, j]


def gaussian_learned_sample_reference(o, eps, lo, hi):
    m = o.shape[1] // 2
    return o[:, :m] + np.exp(0.5 * np.clip(o[:, m:], lo, hi)) * eps


@njit(**_JIT)
def categorical_sample(o, u, out):
    """out <- one-hot of the inverse softmax CDF at u (one uniform per row)."""
    n, m = o.shape
    for i in range(n):
        top = o[i, 0]
        for j in range(1, m):
            top = max(top, o[i, j])
        z = 0.0
        for j in range(m):
            z += math.exp(o[i, j] - top)
        acc = 0.0
        pick = m - 1
        for j in range(m):
            acc += math.exp(o[i, j] - top) / z
            if u[i] < acc:
                pick = j
                break
        for j in range(m):
            out[i, j] = 1.0 if j == pick else 0.0


def categorical_sample_reference(o, u):
    p = np.exp(o - o.max(1, keepdims=True))
    cdf = np.cumsum(p / p.sum(1, keepdims=True), axis=1)
    pick = np.minimum((cdf <= u[:, None]).sum(1), o.shape[1] - 1)
    return np.eye(o.shape[1], dtype=o.dtype)[pick]


# -- optimiser --------------------------------------------------------------------------------
@njit(**_JIT)
def adam_ascent(p, g, m, v, lr, b1, b2, eps, t, rho):
    """One Adam step that *increases* the objective whose gradient is g (step t >= 1):
    g' = g - rho * p; m <- b1 m + (1-b1) g'; v <- b2 v + (1-b2) g'^2;
    p <- p + lr * mhat / (sqrt(vhat) + eps) with bias-corrected mhat, vhat."""
    c1 = 1.0 / (1.0 - b1 ** t)
    c2 = 1.0 / (1.0 - b2 ** t)
    for i in range(p.size):
        gi = g[i] - rho * p[i]
        mi = b1 * m[i] + (1.0 - b1) * gi
        vi = b2 * v[i] + (1.0 - b2) * gi * gi
        m[i] = mi
        v[i] = vi
        p[i] += lr * (mi * c1) / (math.sqrt(vi * c2) + eps)


def adam_ascent_reference(p, g, m, v, lr, b1, b2, eps, t, rho):
    g = g - rho * p
    m = b1 * m + (1 - b1) * g
    v = b2 * v + (1 - b2) * g * g
    p = p + lr * (m / (1 - b1 ** t)) / (np.sqrt(v / (1 - b2 ** t)) + eps)
    return p, m, v
