"""Numba kernels of the neural learner (expfam_nash/neural/kernels.py) against their NumPy references.

Every kernel is run in float32 and float64 on random shapes (1 row and 1 column included) with a
fifth of the logits at the extremes +-50, and checked for: agreement with its ``*_reference``,
in-place semantics (the documented output is overwritten, nothing else is touched) and finiteness.
Sampling kernels fed the same uniforms (normals) as the reference give the same samples, and
their frequencies match the probabilities (z-tests against the binomial standard error).
"""
import numpy as np
import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from scipy.special import expit, softmax

from expfam_nash.neural import kernels as K
from expfam_nash.neural.heads import LOGVAR_RANGE

DTYPES = st.sampled_from([np.float32, np.float64])
SEEDS = st.integers(0, 2 ** 32 - 1)
ROWS = st.integers(1, 40)
COLS = st.integers(1, 9)
ACTS = st.sampled_from([K.IDENTITY, K.TANH, K.RELU])
LO, HI = LOGVAR_RANGE


def tol(dtype):
    """(rtol, atol) for comparing a kernel with its reference in the given precision."""
    return (2e-5, 2e-5) if dtype == np.float32 else (1e-12, 1e-12)


def logits(rng, shape, dtype, spread=8.0):
    """Uniform logits in [-spread, spread], a fifth of them replaced by -50, 0 or +50."""
    o = rng.uniform(-spread, spread, shape)
    pick = rng.random(shape) < 0.2
    o[pick] = rng.choice([-50.0, 50.0, 0.0], size=int(pick.sum()))
    return np.ascontiguousarray(o, dtype=dtype)


def onehot(rng, n, m, dtype):
    return np.eye(m, dtype=dtype)[rng.integers(0, m, n)]


def assert_close(got, want, rtol=0.0, atol=0.0):
    """|got - want| <= atol + rtol |want| elementwise (atol may be an array)."""
    got, want = np.asarray(got, dtype=np.float64), np.asarray(want, dtype=np.float64)
    assert got.shape == want.shape, (got.shape, want.shape)
    excess = np.abs(got - want) - (atol + rtol * np.abs(want))
    assert np.all(excess <= 0), f"worst excess {excess.max():.3g} at {np.unravel_index(excess.argmax(), excess.shape)}"


def nan_like(a, shape=None):
    return np.full(a.shape if shape is None else shape, np.nan, dtype=a.dtype)


def assert_unchanged(before, *after):
    for b, a in zip(before, after):
        np.testing.assert_array_equal(a, b)


# -- layers -----------------------------------------------------------------------------------
@given(SEEDS, ROWS, COLS, ACTS, DTYPES)
@example(0, 1, 1, K.TANH, np.float32)
@example(1, 1, 7, K.RELU, np.float64)
@example(2, 9, 1, K.IDENTITY, np.float64)
def test_bias_activation_in_place_equals_reference(seed, n, m, act, dtype):
    rng = np.random.default_rng(seed)
    a = logits(rng, (n, m), dtype)
    b = logits(rng, m, dtype)
    a0, b0 = a.copy(), b.copy()
    assert K.bias_activation(a, b, act) is None
    rt, at = tol(dtype)
    assert a.dtype == dtype
    assert_close(a, K.bias_activation_reference(a0.astype(np.float64), b0.astype(np.float64), act),
                               rt, at * 100)
    assert np.all(np.isfinite(a))
    assert_unchanged([b0], b)


@given(SEEDS, ROWS, COLS, ACTS, DTYPES)
@example(0, 1, 1, K.TANH, np.float32)
@example(1, 1, 5, K.RELU, np.float64)
@example(2, 6, 1, K.TANH, np.float64)
def test_activation_backward_in_place_equals_reference(seed, n, m, act, dtype):
    rng = np.random.default_rng(seed)
    h = K.bias_activation_reference(logits(rng, (n, m), np.float64, spread=3.0), 0.0, act).astype(dtype)
    g = rng.standard_normal((n, m)).astype(dtype)
    g0, h0 = g.copy(), h.copy()
    gb = nan_like(g, m)             # must be overwritten, not accumulated into
    assert K.activation_backward(g, h, act, gb) is None
    want_g, want_gb = K.activation_backward_reference(g0.astype(np.float64), h0.astype(np.float64), act)
    rt, at = tol(dtype)
    assert_close(g, want_g, rt, at)
    assert_close(gb, want_gb, rt, at * (1 + np.abs(want_g).sum(0)))
    assert_unchanged([h0], h)


# -- heads --------------------------------------------------------------------------------------
def _check_head(kernel, reference, o, t, args, scale, dtype, ref_args=()):
    o0, t0 = o.copy(), t.copy()
    grad = nan_like(o)
    ll = kernel(o, t, grad, scale, *args)
    want_ll, want_grad = reference(o0, t0, *(ref_args or args))
    assert ll.shape == (o.shape[0],) and ll.dtype == np.float64 and grad.dtype == dtype
    assert np.all(np.isfinite(ll)) and np.all(np.isfinite(grad))
    rt, at = tol(dtype)
    assert_close(ll, want_ll, rt, at * (1 + np.abs(want_ll)))
    assert_close(grad, scale * want_grad, rt, at * (1 + np.abs(scale * want_grad)))
    assert_unchanged([o0, t0], o, t)


HEAD_ARGS = (SEEDS, ROWS, COLS, DTYPES, st.sampled_from([1.0, 0.25, -3.0]))


@given(*HEAD_ARGS)
@example(0, 1, 1, np.float32, 1.0)
@example(1, 1, 6, np.float64, 0.25)
@example(2, 7, 1, np.float64, 1.0)
def test_bernoulli_head(seed, n, m, dtype, scale):
    rng = np.random.default_rng(seed)
    o = logits(rng, (n, m), dtype)
    t = (rng.random((n, m)) < 0.5).astype(dtype)
    _check_head(K.bernoulli_head, K.bernoulli_head_reference, o, t, (), scale, dtype)


@given(*HEAD_ARGS)
@example(0, 1, 1, np.float32, 1.0)
@example(1, 1, 6, np.float64, 0.25)
@example(2, 7, 1, np.float64, 1.0)
def test_categorical_head(seed, n, m, dtype, scale):
    rng = np.random.default_rng(seed)
    o = logits(rng, (n, m), dtype)
    t = onehot(rng, n, m, dtype)
    _check_head(K.categorical_head, K.categorical_head_reference, o, t, (), scale, dtype)


@given(*HEAD_ARGS, st.sampled_from([1.0, 0.05, 7.0]))
@example(0, 1, 1, np.float32, 1.0, 1.0)
@example(1, 7, 1, np.float64, 0.25, 0.05)
def test_gaussian_fixed_head(seed, n, m, dtype, scale, variance):
    rng = np.random.default_rng(seed)
    o = logits(rng, (n, m), dtype)
    t = logits(rng, (n, m), dtype)
    _check_head(K.gaussian_fixed_head, K.gaussian_fixed_head_reference, o, t, (variance,), scale, dtype)


@given(*HEAD_ARGS)
@example(0, 1, 1, np.float32, 1.0)
@example(1, 7, 1, np.float64, 0.25)
def test_gaussian_learned_head(seed, n, m, dtype, scale):
    """o = (mu, s) with s partly at +-50, far outside the clip range [log 1e-4, log 1e4]."""
    rng = np.random.default_rng(seed)
    o = np.concatenate([logits(rng, (n, m), dtype, spread=3.0), logits(rng, (n, m), dtype, spread=12.0)], 1)
    t = logits(rng, (n, m), dtype, spread=3.0)
    _check_head(K.gaussian_learned_head, K.gaussian_learned_head_reference, o, t, (LO, HI), scale, dtype)


def test_heads_extreme_logits_are_exact_and_finite():
    """Saturated logits: log p of the certain outcome is 0, of the impossible one ~ -50; no NaN or inf."""
    for dtype in (np.float32, np.float64):
        o = np.array([[50.0, -50.0, 50.0, -50.0]], dtype=dtype)
        grad = nan_like(o)
        ll = K.bernoulli_head(o, np.array([[1, 0, 0, 1]], dtype=dtype), grad, 1.0)
        assert_close(ll, [-100.0], rtol=1e-6)
        assert_close(grad, [[0, 0, -1, 1]], atol=1e-12)
        ll = K.categorical_head(o, np.array([[0, 1, 0, 0]], dtype=dtype), grad, 1.0)
        assert_close(ll, [-100.0 - np.log(2)], rtol=1e-6)
        assert_close(grad, [[-0.5, 1, -0.5, 0]], atol=1e-12)
        ll = K.gaussian_learned_head(o, np.zeros((1, 2), dtype=dtype), grad, 1.0, LO, HI)
        assert np.all(np.isfinite(ll)) and np.all(np.isfinite(grad))


# -- sampling ------------------------------------------------------------------------------------
# uniforms at 0, at the smallest positive value of the dtype and just below 1
def uniforms(rng, shape, dtype):
    u = rng.random(shape, dtype=dtype)
    pick = rng.random(shape) < 0.1
    u[pick] = rng.choice([0.0, float(np.finfo(dtype).tiny), float(np.nextafter(dtype(1), dtype(0)))],
                         size=int(pick.sum()))
    return u


@given(SEEDS, ROWS, COLS, DTYPES)
@example(0, 1, 1, np.float32)
@example(1, 1, 8, np.float64)
@example(2, 8, 1, np.float64)
def test_bernoulli_sample_same_uniforms_same_samples(seed, n, m, dtype):
    rng = np.random.default_rng(seed)
    o, u = logits(rng, (n, m), dtype), uniforms(rng, (n, m), dtype)
    o0, u0 = o.copy(), u.copy()
    out = nan_like(o)
    assert K.bernoulli_sample(o, u, out) is None
    with np.errstate(over="ignore"):
        want = K.bernoulli_sample_reference(o0, u0)
    # float32: the kernel and the reference round exp differently (float32 vs float64), so a
    # uniform within 1e-6 of sigmoid(o) may fall on either side. float64: the kernel's exp (libm)
    # and the reference's (NumPy's, SIMD on e.g. AVX-512 CPUs) may differ by an ulp, so the two
    # may disagree only for a uniform within a few ulps of sigmoid(o); everywhere else exactly
    off = out != want
    p = expit(o0.astype(np.float64))
    off &= np.abs(u0.astype(np.float64) - p) > (1e-6 if dtype == np.float32 else 8 * np.spacing(p))
    assert not off.any(), np.argwhere(off)
    assert set(np.unique(out)) <= {0.0, 1.0}
    assert_unchanged([o0, u0], o, u)


@given(SEEDS, ROWS, COLS, DTYPES)
@example(0, 1, 1, np.float32)
@example(1, 1, 8, np.float64)
@example(2, 8, 1, np.float64)
def test_categorical_sample_same_uniforms_same_samples(seed, n, m, dtype):
    rng = np.random.default_rng(seed)
    o, u = logits(rng, (n, m), dtype), uniforms(rng, n, dtype)
    o0, u0 = o.copy(), u.copy()
    out = nan_like(o)
    assert K.categorical_sample(o, u, out) is None
    off = np.any(out != K.categorical_sample_reference(o0, u0), axis=1)
    # as for Bernoulli: ties within 1e-6 (float32) or a few ulps (float64: libm's exp and NumPy's
    # SIMD exp may differ by an ulp) of a CDF step may go either way
    cdf = np.cumsum(softmax(o0.astype(np.float64), axis=1), axis=1)
    near = 1e-6 if dtype == np.float32 else 8 * np.spacing(np.maximum(cdf, 1e-300)).max(1)
    off &= np.abs(cdf - u0.astype(np.float64)[:, None]).min(1) > near
    assert not off.any(), np.argwhere(off)
    np.testing.assert_array_equal(out.sum(1), 1.0)
    assert_unchanged([o0, u0], o, u)


@given(SEEDS, ROWS, COLS, DTYPES)
@example(0, 1, 1, np.float32)
@example(1, 7, 1, np.float64)
def test_gaussian_learned_sample_same_normals_same_samples(seed, n, m, dtype):
    rng = np.random.default_rng(seed)
    o = np.concatenate([logits(rng, (n, m), dtype, spread=3.0), logits(rng, (n, m), dtype, spread=12.0)], 1)
    eps = rng.standard_normal((n, m)).astype(dtype)
    o0, e0 = o.copy(), eps.copy()
    out = nan_like(eps)
    assert K.gaussian_learned_sample(o, eps, out, LO, HI) is None
    want = K.gaussian_learned_sample_reference(o0.astype(np.float64), e0.astype(np.float64), LO, HI)
    rt, at = tol(dtype)
    assert_close(out, want, rt, at * (1 + np.abs(want)))
    assert np.all(np.isfinite(out))
    assert_unchanged([o0, e0], o, eps)


# Frequency tests: N draws per probability, |freq - p| / sqrt(p (1 - p) / N) < Z for every cell.
# With at most 12 cells per test and Z = 5 a correct kernel fails with probability < 12 * 5.7e-7
# (two-sided normal tail; N is large enough for the normal approximation, N p (1 - p) > 100), while
# a probability off by 0.01 gives z ~ 0.01 / sqrt(0.25 / N) = 8 at N = 1.6e5.
N_FREQ, Z = 160_000, 5.0


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_bernoulli_sample_frequencies(dtype):
    rng = np.random.default_rng(11)
    eta = np.array([-4.0, -1.5, -0.3, 0.0, 0.7, 2.0, 4.0])
    o = np.ascontiguousarray(np.broadcast_to(eta, (N_FREQ, eta.size)), dtype=dtype)
    out = np.empty_like(o)
    K.bernoulli_sample(o, rng.random(o.shape, dtype=dtype), out)
    p = expit(eta)
    z = (out.mean(0) - p) / np.sqrt(p * (1 - p) / N_FREQ)
    assert np.all(np.abs(z) < Z), z


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_categorical_sample_frequencies(dtype):
    rng = np.random.default_rng(12)
    eta = np.array([-2.0, 0.0, 0.5, 1.0, -0.5, 1.5])
    o = np.ascontiguousarray(np.broadcast_to(eta, (N_FREQ, eta.size)), dtype=dtype)
    out = np.empty_like(o)
    K.categorical_sample(o, rng.random(N_FREQ, dtype=dtype), out)
    p = softmax(eta)
    z = (out.mean(0) - p) / np.sqrt(p * (1 - p) / N_FREQ)
    assert np.all(np.abs(z) < Z), z


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_gaussian_learned_sample_moments(dtype):
    """Mean within Z standard errors sigma / sqrt(N); variance within Z standard errors
    sigma^2 sqrt(2 / N) (normal fourth moment); s = +-50 is clipped to [log 1e-4, log 1e4]."""
    rng = np.random.default_rng(13)
    mu = np.array([0.0, 1.5, -2.0, 0.3])
    s = np.array([0.0, -1.0, 50.0, -50.0])
    o = np.ascontiguousarray(np.broadcast_to(np.concatenate([mu, s]), (N_FREQ, 8)), dtype=dtype)
    out = np.empty((N_FREQ, 4), dtype=dtype)
    K.gaussian_learned_sample(o, rng.standard_normal((N_FREQ, 4), dtype=dtype), out, LO, HI)
    var = np.exp(np.clip(s, LO, HI))
    x = out.astype(np.float64)
    assert np.all(np.abs(x.mean(0) - mu) / np.sqrt(var / N_FREQ) < Z)
    assert np.all(np.abs(x.var(0) / var - 1) / np.sqrt(2 / N_FREQ) < Z)


# -- optimiser ------------------------------------------------------------------------------------
@given(SEEDS, st.integers(1, 60), DTYPES, st.sampled_from([0.0, 0.01]), st.integers(1, 6))
@example(0, 1, np.float32, 0.0, 5)
def test_adam_ascent_several_steps_equal_reference(seed, size, dtype, decay, steps):
    rng = np.random.default_rng(seed)
    lr, b1, b2, eps = 1e-2, 0.9, 0.999, 1e-8
    p = rng.standard_normal(size).astype(dtype)
    m, v = np.zeros_like(p), np.zeros_like(p)
    rp, rm, rv = (a.astype(np.float64) for a in (p, m, v))
    for t in range(1, steps + 1):
        g = (rng.standard_normal(size) * rng.choice([1e-3, 1.0, 50.0], size)).astype(dtype)
        g0 = g.copy()
        ids = (id(p), id(m), id(v))
        assert K.adam_ascent(p, g, m, v, lr, b1, b2, eps, t, decay) is None
        assert (id(p), id(m), id(v)) == ids and p.dtype == m.dtype == v.dtype == dtype
        assert_unchanged([g0], g)
        rp, rm, rv = K.adam_ascent_reference(rp, g0.astype(np.float64), rm, rv, lr, b1, b2, eps, t, decay)
        rt, at = tol(dtype)
        assert_close(m, rm, rt * 10, at * (1 + np.abs(rm)))
        assert_close(v, rv, rt * 10, at * (1 + np.abs(rv)))
        assert_close(p, rp, rt * 10, at * 10)


def test_adam_ascent_first_step_is_signed_lr():
    """At t = 1 from zero moments, mhat / sqrt(vhat) = sign(g), so p moves by lr * sign(g) (eps aside)."""
    p = np.array([0.5, -1.0, 2.0])
    g = np.array([3.0, -0.2, 1e-3])
    K.adam_ascent(p, g, np.zeros(3), np.zeros(3), 0.1, 0.9, 0.999, 1e-12, 1, 0.0)
    assert_close(p, [0.6, -1.1, 2.1], rtol=1e-9)


# -- the vectorisable elementary functions behind the layer and head kernels ------------------
def _ulps(a, b):
    a, b = np.asarray(a), np.asarray(b)
    return np.abs(a - b) / np.spacing(np.maximum(np.abs(b), np.finfo(b.dtype).tiny))


def test_arithmetic_tanh_exp_log1p_match_libm():
    rng = np.random.default_rng(0)
    x = np.concatenate([rng.normal(0, 3, 20000), rng.uniform(-25, 25, 5000),
                        [0.0, -0.0, 1e-300, -1e-300, 19.0, 19.2, -19.2, 40.0, np.inf, -np.inf]])
    out = np.empty_like(x)
    K.tanh(x, out)
    # within 2 ulp of the exact tanh (kernels.py, checked with mpmath); glibc's tanh is itself
    # within 1 ulp, so against it the bound is 3
    assert _ulps(out, K.tanh_reference(x)).max() <= 3
    assert np.signbit(out[np.where(x == 0)[0]]).tolist() == np.signbit(x[x == 0]).tolist()
    x32 = x.astype(np.float32)
    out32 = np.empty_like(x32)
    K.tanh(x32, out32)
    # float32 output: the float64 tanh rounded to float32. The kernel's float64 tanh is within 2 ulp
    # of exact, NumPy's within 1 (SIMD versions differ by CPU), so the two roundings to float32 may
    # differ by one float32 ulp where the float64 value lies that close to a rounding boundary
    ref32 = np.tanh(x.astype(np.float32).astype(np.float64)).astype(np.float32)
    assert _ulps(out32, ref32).max() <= 1
    assert np.mean(out32 == ref32) > 0.999
    y = np.concatenate([rng.uniform(-750, 712, 20000), rng.normal(0, 2, 5000), [-np.inf, np.inf, -745.2, 709.7]])
    ey = np.empty_like(y)
    K.exp(y, ey)
    with np.errstate(over="ignore"):
        ref = K.exp_reference(y)
    finite = np.isfinite(ref) & (ref > 0)
    assert _ulps(ey[finite], ref[finite]).max() <= 1      # stated against libm itself
    np.testing.assert_array_equal(ey[~finite], ref[~finite])
    u = np.concatenate([rng.uniform(0, 1, 20000), [0.0, 1e-300, 0.41421356, 1.0]])
    lu = np.empty_like(u)
    K.log1p(u, lu)
    assert _ulps(lu[u > 0], K.log1p_reference(u[u > 0])).max() <= 3   # 2 ulp to exact + libm's 1
    assert lu[u == 0][0] == 0.0
    nan = np.array([np.nan])
    for f in (K.tanh, K.exp, K.log1p):
        o = np.empty(1)
        f(nan, o)
        assert np.isnan(o[0])


def test_relu_kernels_propagate_nan_like_the_reference():
    a = np.array([[np.nan, -1.0, 2.0]])
    b = np.zeros(3)
    out = a.copy()
    K.bias_activation(out, b, K.RELU)
    np.testing.assert_array_equal(out, K.bias_activation_reference(a, b, K.RELU))
    g, h = np.ones((1, 3)), np.array([[np.nan, 0.0, 2.0]])
    gb = np.empty(3)
    K.activation_backward(g, h, K.RELU, gb)
    ref_g, ref_gb = K.activation_backward_reference(np.ones((1, 3)), h, K.RELU)
    np.testing.assert_array_equal(g, ref_g)
    np.testing.assert_array_equal(gb, ref_gb)
