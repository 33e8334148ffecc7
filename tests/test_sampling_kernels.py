"""Numba sampling kernels against their NumPy references (expfam_nash/kernels/samples.py)."""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy.special import expit

from expfam_nash.families import Bernoulli, Categorical
from expfam_nash.kernels.samples import (bernoulli_from_uniform, bernoulli_from_uniform_reference,
                                         categorical_from_uniform, categorical_from_uniform_reference,
                                         outer_moments, outer_moments_reference)

EXTREME_ETA = np.array([-50.0, 50.0, 0.0, -50.0, 50.0, -700.0, 700.0])
# u is drawn from [0, 1): the extremes are 0, the smallest positive doubles, 2^-53 and the
# largest double below 1. None of them sits on a probability boundary of the extreme logits.
EXTREME_U = np.array([0.0, 5e-324, 1e-300, 2.0 ** -53, 1e-3, 1.0 - 2.0 ** -53, 1.0 - 1e-12])


# The kernels use libm's exp (through LLVM), the references NumPy's exp, which is a different
# implementation (SIMD, e.g. on AVX-512 CPUs) and may differ by an ulp. Draw for draw equality
# therefore holds only away from the rounding boundaries u ~ p (Bernoulli) or u ~ CDF_c
# (categorical); the helpers below allow a disagreement exactly where u lies within a few ulps of
# such a boundary, and nowhere else.
BOUNDARY_ULPS = 8


def assert_bernoulli_agrees(eta, u):
    got = bernoulli_from_uniform(eta, u)
    with np.errstate(over="ignore"):   # the reference overflows exp(700) to inf, giving p = 0 correctly
        ref = bernoulli_from_uniform_reference(eta, u)
        p = 1.0 / (1.0 + np.exp(-eta))
    bad = got != ref
    assert np.all(np.abs(u - p)[bad] <= BOUNDARY_ULPS * np.spacing(p[bad])), "disagreement away from p"
    return got


def reference_cdf(eta):
    full = np.concatenate([np.zeros((eta.shape[0], 1)), eta], axis=1)
    w = np.exp(full - full.max(1, keepdims=True))
    return np.cumsum(w / np.cumsum(w, axis=1)[:, -1:], axis=1)


def assert_categorical_agrees(eta, u):
    got = categorical_from_uniform(eta, u)
    ref = categorical_from_uniform_reference(eta, u)
    bad = np.nonzero(got[:, 0] != ref[:, 0])[0]
    if bad.size:
        cdf = reference_cdf(eta[bad])
        lo = np.minimum(got[bad, 0], ref[bad, 0]).astype(int)
        # the two answers are neighbours and u sits on the CDF value between them
        assert np.all(np.abs(got[bad, 0] - ref[bad, 0]) == 1), "answers more than one class apart"
        edge = cdf[np.arange(bad.size), lo]
        assert np.all(np.abs(u[bad] - edge) <= BOUNDARY_ULPS * np.spacing(1.0)), "disagreement away from a CDF value"
    return got


def random_logits(rng, shape):
    """Uniform logits in [-50, 50], a fifth of them replaced by extreme values."""
    eta = rng.uniform(-50.0, 50.0, shape)
    pick = rng.random(shape) < 0.2
    eta[pick] = rng.choice(EXTREME_ETA, size=int(pick.sum()))
    return eta


def random_uniforms(rng, shape):
    u = rng.random(shape)
    pick = rng.random(shape) < 0.2
    u[pick] = rng.choice(EXTREME_U, size=int(pick.sum()))
    return u


@given(st.integers(0, 2 ** 32 - 1), st.integers(1, 200), st.integers(1, 6))
def test_bernoulli_kernel_equals_reference(seed, n, m):
    rng = np.random.default_rng(seed)
    eta = random_logits(rng, (n, m))
    u = random_uniforms(rng, (n, m))
    got = assert_bernoulli_agrees(eta, u)
    assert got.shape == (n, m) and got.dtype == np.float64


def test_bernoulli_kernel_every_extreme_pair():
    eta, u = np.meshgrid(EXTREME_ETA, EXTREME_U)
    got = assert_bernoulli_agrees(np.ascontiguousarray(eta), np.ascontiguousarray(u))
    # saturated logits give the certain outcome for every u in [0, 1)
    np.testing.assert_array_equal(got[:, EXTREME_ETA == 50.0], 1.0)
    np.testing.assert_array_equal(got[:, EXTREME_ETA == -50.0][EXTREME_U > 1e-20], 0.0)


@given(st.integers(0, 2 ** 32 - 1), st.integers(1, 200), st.integers(1, 12))
def test_categorical_kernel_equals_reference(seed, n, m):
    rng = np.random.default_rng(seed)
    eta = random_logits(rng, (n, m))
    # rows where every logit is extreme
    eta[: n // 4] = rng.choice([-50.0, 50.0], size=(n // 4, m))
    u = random_uniforms(rng, n)
    got = assert_categorical_agrees(eta, u)
    assert got.shape == (n, 1) and got.dtype == np.float64
    assert np.all((got >= 0) & (got <= m))


def test_categorical_kernel_every_extreme_row():
    rows = np.array(np.meshgrid(*[[-50.0, 0.0, 50.0]] * 3)).reshape(3, -1).T   # all 27 rows
    eta = np.repeat(rows, EXTREME_U.size, axis=0)
    u = np.tile(EXTREME_U, rows.shape[0])
    assert_categorical_agrees(eta, u)


@pytest.mark.parametrize("m", [1, 2, 4, 10])
def test_categorical_kernel_at_u_near_one(m):
    # u = the largest double below 1 selects the last class whose CDF value is below it; with
    # logits differing by ~36 some class has probability ~1e-16, so the answer hinges on
    # rounding. Kernel (libm exp) and reference (NumPy's exp, SIMD on some CPUs) may round one
    # ulp apart, so they may differ only where u is within a few ulps of a CDF value, and then
    # by one class (regression: the kernel compared u * total with unnormalised sums).
    eta = np.random.default_rng(m).uniform(-50.0, 50.0, (5000, m))
    u = np.full(eta.shape[0], 1.0 - 2.0 ** -53)
    got = assert_categorical_agrees(eta, u)
    # at most a handful of rows may sit on such a boundary (the old bug moved ~1% of them)
    assert np.sum(got != categorical_from_uniform_reference(eta, u)) <= 0.002 * eta.shape[0]
    # the case that exposed it: P(class 2) = 2.3e-16 and u lies inside [1 - 2.3e-16, 1); the CDF
    # after class 1 is 1 - 2^-52 whichever exp is used (no exp value here is near a rounding tie)
    eta1 = np.array([[50.0, 13.98245077]])
    assert categorical_from_uniform(eta1, u[:1])[0, 0] == categorical_from_uniform_reference(eta1, u[:1])[0, 0] == 2.0


def test_kernels_disagree_with_the_references_only_on_rounding_boundaries():
    # u placed exactly on (and one ulp either side of) the reference's probability boundaries:
    # the kernel normalises differently, so it may answer differently there, but only where u
    # is within rounding error of a boundary (an interval of probability ~1e-16).
    rng = np.random.default_rng(0)
    eta = rng.uniform(-30.0, 30.0, (4000, 3))
    p = 1.0 / (1.0 + np.exp(-eta))
    for u in (p, np.nextafter(p, 0), np.nextafter(p, 1)):
        bad = bernoulli_from_uniform(eta, u) != bernoulli_from_uniform_reference(eta, u)
        assert np.all(np.abs(u - p)[bad] <= 4 * np.spacing(p[bad]))
    for m in (3, 10):   # with 10 logits numpy's pairwise p.sum differs from an in-order sum
        eta = rng.uniform(-40.0, 40.0, (4000, m))
        full = np.concatenate([np.zeros((eta.shape[0], 1)), eta], axis=1)
        w = np.exp(full - full.max(1, keepdims=True))
        cdf = np.cumsum(w / w.sum(1, keepdims=True), axis=1)
        for c in range(m):
            for u in (cdf[:, c], np.nextafter(cdf[:, c], 0), np.nextafter(cdf[:, c], 1),
                      np.full(eta.shape[0], 1.0 - 2.0 ** -53)):
                u = np.ascontiguousarray(u)
                a = categorical_from_uniform(eta, u)[:, 0].astype(int)
                b = categorical_from_uniform_reference(eta, u)[:, 0].astype(int)
                bad = np.nonzero(a != b)[0]
                lo = np.minimum(a, b)[bad]
                assert np.all(np.abs(u[bad] - cdf[bad, lo]) <= 8 * np.spacing(1.0))


@pytest.mark.parametrize("eta", [np.array([[0.3, -1.2, 2.0]]), np.array([[-4.0]])])
def test_kernels_sample_the_right_distribution(eta):
    n = 100_000
    rng = np.random.default_rng(31)
    eta_rep = np.repeat(eta, n, axis=0)
    y = bernoulli_from_uniform(eta_rep, rng.random(eta_rep.shape))
    p = expit(eta[0])
    assert np.all(np.abs(y.mean(axis=0) - p) <= 5 * np.sqrt(p * (1 - p) / n))
    cls = categorical_from_uniform(eta_rep, rng.random(n))[:, 0].astype(int)
    probs = Categorical(eta.shape[1] + 1).probabilities(eta)[0]
    freq = np.bincount(cls, minlength=probs.size) / n
    assert np.all(np.abs(freq - probs) <= 5 * np.sqrt(probs * (1 - probs) / n))


@given(st.integers(0, 2 ** 32 - 1), st.integers(1, 50), st.integers(1, 4))
def test_family_samplers_use_the_reference_rule(seed, n, m):
    # the family samplers (NumPy/SciPy exp) and the kernels (libm exp) turn the same uniforms into
    # the same draws, except where a uniform sits within a few ulps of a probability boundary
    rng = np.random.default_rng(seed)
    eta = rng.uniform(-6, 6, (n, m))
    u = np.random.default_rng(seed).random((n, m))
    fam = Bernoulli(m).sample(eta, seed=seed)
    bad = fam != bernoulli_from_uniform(eta, u)
    p = expit(eta)
    assert np.all(np.abs(u - p)[bad] <= BOUNDARY_ULPS * np.spacing(p[bad]))
    u = np.random.default_rng(seed).random(n)
    fam = Categorical(m + 1).sample(eta, seed=seed)
    kern = categorical_from_uniform(eta, u)
    bad = np.nonzero(fam[:, 0] != kern[:, 0])[0]
    edge = reference_cdf(eta[bad])[np.arange(bad.size), np.minimum(fam[bad, 0], kern[bad, 0]).astype(int)]
    assert np.all(np.abs(u[bad] - edge) <= BOUNDARY_ULPS * np.spacing(1.0))


@given(st.integers(0, 2 ** 32 - 1), st.integers(1, 400), st.integers(1, 5), st.integers(1, 6))
def test_outer_moments_equals_reference(seed, n, m, k):
    rng = np.random.default_rng(seed)
    d = rng.uniform(-3, 3, (n, m))
    f = rng.uniform(-3, 3, (n, k))
    mean, sq = outer_moments(d, f)
    ref_mean, ref_sq = outer_moments_reference(d, f)
    assert mean.shape == sq.shape == (m, k)
    # sums of <= 400 terms of size <= 81 in different orders: rounding <= ~1e-13
    np.testing.assert_allclose(mean, ref_mean, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(sq, ref_sq, rtol=1e-12, atol=1e-12)
    # and both are the mean and mean square of the per-sample outer products
    g = d[:, :, None] * f[:, None, :]
    np.testing.assert_allclose(mean, g.mean(axis=0), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(sq, (g * g).mean(axis=0), rtol=1e-12, atol=1e-12)
