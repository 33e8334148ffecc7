"""Environment distributions: exact (finite, Gaussian), implicit (sampler) and labelled joints."""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from expfam_nash.environment import (Finite, FiniteJoint, Gaussian, GaussianJoint, Implicit, ImplicitJoint,
                                     categorical, standard_normal, uniform_bits)
from expfam_nash.families import binary_support

N = 100_000


def within_5se_of_frequencies(draw_idx, probs, n):
    """Empirical frequencies of indices 0..len(probs)-1 within 5 standard errors sqrt(p(1-p)/n)."""
    freq = np.bincount(draw_idx, minlength=len(probs)) / n
    se = np.sqrt(probs * (1 - probs) / n)
    return np.all(np.abs(freq - probs) <= 5 * se)


def row_index(points, rows):
    lookup = {tuple(p): i for i, p in enumerate(points)}
    return np.array([lookup[tuple(r)] for r in rows])


# -- Finite ------------------------------------------------------------------------------
@st.composite
def finite_cases(draw):
    n = draw(st.integers(1, 6))
    d = draw(st.integers(1, 3))
    pts = draw(arrays(np.float64, (n, d), elements=st.floats(-10, 10, allow_nan=False, allow_infinity=False)))
    raw = draw(arrays(np.float64, n, elements=st.floats(0.01, 1.0)))
    return pts, raw / raw.sum()


@given(finite_cases())
def test_finite_moments(case):
    pts, w = case
    dist = Finite(pts, w)
    m, c = dist.moments()
    np.testing.assert_allclose(m, np.average(pts, axis=0, weights=w), rtol=1e-12, atol=1e-12)
    ref = np.atleast_2d(np.cov(pts.T, aweights=w, bias=True))
    np.testing.assert_allclose(c, ref, rtol=1e-10, atol=1e-10)
    assert dist.dim == pts.shape[1] and dist.exact


def test_finite_moments_by_hand():
    dist = Finite(np.array([0.0, 1.0, 3.0]), np.array([0.5, 0.25, 0.25]))
    assert dist.points.shape == (3, 1)
    m, c = dist.moments()
    np.testing.assert_allclose(m, [1.0], atol=1e-15)
    np.testing.assert_allclose(c, [[0.5 * 1 + 0.25 * 0 + 0.25 * 4]], atol=1e-15)


def test_finite_weight_validation():
    pts = np.array([[0.0], [1.0], [2.0]])
    for bad in ([0.5, 0.6, -0.1], [0.2, 0.2, 0.2], [0.5, 0.5], [0.5, np.nan, 0.5], [np.inf, 0, 0],
                [[0.5, 0.25, 0.25]]):
        with pytest.raises(ValueError, match="^weights:"):
            Finite(pts, np.array(bad))
    with pytest.raises(ValueError, match="^points:"):
        Finite(np.zeros((0, 2)), np.zeros(0))
    with pytest.raises(ValueError, match="^points:"):
        Finite(np.array([[np.nan], [0.0]]), np.array([0.5, 0.5]))
    with pytest.raises(ValueError, match="^points:"):
        Finite(np.zeros((2, 2, 2)), np.array([0.5, 0.5]))


def test_from_samples_merges_duplicates():
    s = np.array([[0.0, 1.0], [1.0, 0.0], [0.0, 1.0], [0.0, 1.0], [2.0, 2.0]])
    dist = Finite.from_samples(s)
    assert dist.points.shape == (3, 2)
    got = {tuple(p): w for p, w in zip(dist.points, dist.weights)}
    assert got == pytest.approx({(0.0, 1.0): 0.6, (1.0, 0.0): 0.2, (2.0, 2.0): 0.2})
    # 1-D samples are a column
    d1 = Finite.from_samples(np.array([3.0, 3.0, 1.0, 3.0]))
    np.testing.assert_array_equal(d1.points, [[1.0], [3.0]])
    np.testing.assert_allclose(d1.weights, [0.25, 0.75])
    # the empirical moments are the sample moments
    m, c = Finite.from_samples(s).moments()
    np.testing.assert_allclose(m, s.mean(axis=0), atol=1e-15)
    np.testing.assert_allclose(c, np.cov(s.T, bias=True), atol=1e-15)
    with pytest.raises(ValueError, match="^samples:"):
        Finite.from_samples(np.array([np.nan, 1.0]))


def test_finite_sampling_frequencies_and_reproducibility():
    pts = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [5.0, 5.0]])
    w = np.array([0.1, 0.2, 0.3, 0.4])
    dist = Finite(pts, w)
    x = dist.sample(N, seed=11)
    assert x.shape == (N, 2)
    assert within_5se_of_frequencies(row_index(pts, x), w, N)
    np.testing.assert_array_equal(dist.sample(50, seed=11), dist.sample(50, rng=np.random.default_rng(11)))
    assert not np.array_equal(dist.sample(50, seed=11), dist.sample(50, seed=12))


# -- Gaussian ------------------------------------------------------------------------------
GAUSS_CASES = [
    (np.array([1.0, -2.0]), np.array([[2.0, 0.6], [0.6, 0.5]])),
    (np.array([0.0, 0.0, 3.0]), np.diag([1.0, 4.0, 0.25])),
    (np.array([0.5, 0.5]), np.array([[1.0, 1.0], [1.0, 1.0]])),   # singular: mass on a line
]


@pytest.mark.parametrize("mean,cov", GAUSS_CASES)
def test_gaussian_moments_and_sample_moments(mean, cov):
    dist = Gaussian(mean, cov)
    m, c = dist.moments()
    np.testing.assert_array_equal(m, mean)
    np.testing.assert_array_equal(c, cov)
    m[0] = 99.0
    c[0, 0] = 99.0
    assert dist.moments()[0][0] == mean[0] and dist.moments()[1][0, 0] == cov[0, 0]   # copies
    x = dist.sample(N, seed=2024)
    assert x.shape == (N, mean.size)
    se_mean = np.sqrt(np.diag(cov) / N)
    assert np.all(np.abs(x.mean(axis=0) - mean) <= 5 * se_mean)
    # for a Gaussian, Var[(x_i - m_i)(x_j - m_j)] = S_ii S_jj + S_ij^2
    dev = x - mean
    emp = dev.T @ dev / N
    se_cov = np.sqrt((np.outer(np.diag(cov), np.diag(cov)) + cov ** 2) / N)
    assert np.all(np.abs(emp - cov) <= 5 * se_cov)


def test_gaussian_singular_samples_stay_on_the_support():
    x = Gaussian(np.array([0.5, 0.5]), np.array([[1.0, 1.0], [1.0, 1.0]])).sample(1000, seed=1)
    np.testing.assert_allclose(x[:, 0] - x[:, 1], 0.0, atol=1e-12)


def test_gaussian_reproducible():
    dist = Gaussian(np.zeros(2), np.eye(2))
    a = dist.sample(20, seed=5)
    np.testing.assert_array_equal(a, dist.sample(20, seed=5))
    np.testing.assert_array_equal(a, dist.sample(20, rng=np.random.default_rng(5)))
    assert not np.array_equal(a, dist.sample(20, seed=6))


def test_gaussian_validation():
    with pytest.raises(ValueError, match="^cov:"):
        Gaussian(np.zeros(2), np.eye(3))
    with pytest.raises(ValueError, match="^cov:"):
        Gaussian(np.zeros(2), np.array([[1.0, 0.5], [0.0, 1.0]]))     # not symmetric
    with pytest.raises(ValueError, match="^cov:"):
        Gaussian(np.zeros(2), np.array([[1.0, 2.0], [2.0, 1.0]]))     # not PSD
    with pytest.raises(ValueError, match="^cov:"):
        Gaussian(np.zeros(1), np.array([[np.nan]]))
    with pytest.raises(ValueError, match="^mean:"):
        Gaussian(np.array([np.inf]), np.eye(1))
    with pytest.raises(ValueError, match="^mean:"):
        Gaussian(np.zeros((1, 1)), np.eye(1))


# -- Implicit ------------------------------------------------------------------------------
def test_implicit_checks_the_sampler_output():
    seen = []

    def sampler(n, rng):
        seen.append((type(n), type(rng)))
        return rng.standard_normal((n, 2)) + 3.0

    dist = Implicit(sampler, 2)
    assert not dist.exact
    x = dist.sample(N, seed=8)
    assert x.shape == (N, 2)
    assert seen[0] == (int, np.random.Generator)
    assert np.all(np.abs(x.mean(axis=0) - 3.0) <= 5 / np.sqrt(N))
    np.testing.assert_array_equal(dist.sample(10, seed=8), dist.sample(10, rng=np.random.default_rng(8)))
    with pytest.raises(ValueError, match="moments"):
        dist.moments()
    for bad in (lambda n, rng: np.zeros((n, 3)), lambda n, rng: np.zeros((n + 1, 2)),
                lambda n, rng: np.zeros(n), lambda n, rng: np.full((n, 2), np.nan)):
        with pytest.raises(ValueError, match="^sampler output:"):
            Implicit(bad, 2).sample(5, seed=0)
    # a 1-D output is accepted as a column when dim = 1
    assert Implicit(lambda n, rng: rng.random(n), 1).sample(4, seed=0).shape == (4, 1)


# -- joints --------------------------------------------------------------------------------
def _joint():
    xp = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    zp = np.array([0.0, 1.0])
    table = np.array([[0.1, 0.2], [0.05, 0.15], [0.3, 0.2]])
    return xp, zp, table, FiniteJoint(xp, zp, table)


def test_finite_joint_marginals():
    xp, zp, table, joint = _joint()
    px, pz = joint.marginals()
    np.testing.assert_array_equal(px.points, xp)
    np.testing.assert_array_equal(pz.points, zp[:, None])
    np.testing.assert_allclose(px.weights, [0.3, 0.2, 0.5], atol=1e-15)
    np.testing.assert_allclose(pz.weights, [0.45, 0.55], atol=1e-15)


def test_finite_joint_sampling_frequencies():
    xp, zp, table, joint = _joint()
    x, z = joint.sample(N, seed=99)
    assert x.shape == (N, 2) and z.shape == (N, 1)
    cell = row_index(xp, x) * 2 + row_index(zp[:, None], z)
    assert within_5se_of_frequencies(cell, table.ravel(), N)
    xs, zs = joint.sample(30, seed=4)
    xr, zr = joint.sample(30, rng=np.random.default_rng(4))
    np.testing.assert_array_equal(xs, xr)
    np.testing.assert_array_equal(zs, zr)


def test_finite_joint_validation():
    xp, zp, table, _ = _joint()
    with pytest.raises(ValueError, match="^table:"):
        FiniteJoint(xp, zp, table.T)
    with pytest.raises(ValueError, match="^table:"):
        FiniteJoint(xp, zp, table * 2)
    bad = table.copy()
    bad[0, 0], bad[0, 1] = -0.1, 0.4
    with pytest.raises(ValueError, match="^table:"):
        FiniteJoint(xp, zp, bad)
    with pytest.raises(ValueError, match="^x_points:"):
        FiniteJoint(np.full((3, 2), np.nan), zp, table)


def test_gaussian_joint():
    cov = np.array([[2.0, 0.5, 0.3], [0.5, 1.0, 0.0], [0.3, 0.0, 1.0]])
    joint = GaussianJoint(np.array([1.0, 2.0, 3.0]), cov, x_dim=2)
    x, z = joint.sample(N, seed=3)
    assert x.shape == (N, 2) and z.shape == (N, 1)
    xz = np.concatenate([x, z], axis=1)
    assert np.all(np.abs(xz.mean(axis=0) - [1.0, 2.0, 3.0]) <= 5 * np.sqrt(np.diag(cov) / N))
    for bad in (0, 3):
        with pytest.raises(ValueError, match="^x_dim:"):
            GaussianJoint(np.zeros(3), np.eye(3), x_dim=bad)


def test_implicit_joint():
    joint = ImplicitJoint(lambda n, rng: (rng.random((n, 2)), rng.integers(0, 2, (n, 1))))
    x, z = joint.sample(7, seed=0)
    assert x.shape == (7, 2) and z.shape == (7, 1) and z.dtype == np.float64
    with pytest.raises(ValueError, match="^labelled z:"):
        ImplicitJoint(lambda n, rng: (np.zeros((n, 2)), np.zeros(n))).sample(3, seed=0)


# -- priors ------------------------------------------------------------------------------
@pytest.mark.parametrize("k", [1, 2, 4])
def test_uniform_bits(k):
    dist = uniform_bits(k)
    np.testing.assert_array_equal(dist.points, binary_support(k))
    np.testing.assert_array_equal(dist.weights, np.full(2 ** k, 2.0 ** -k))
    m, c = dist.moments()
    np.testing.assert_allclose(m, np.full(k, 0.5), atol=1e-15)
    np.testing.assert_allclose(c, 0.25 * np.eye(k), atol=1e-15)


def test_categorical_and_standard_normal():
    dist = categorical([0.2, 0.5, 0.3])
    np.testing.assert_array_equal(dist.points, [[0.0], [1.0], [2.0]])
    np.testing.assert_array_equal(dist.weights, [0.2, 0.5, 0.3])
    assert dist.moments()[0] == pytest.approx([1.1])
    with pytest.raises(ValueError, match="^weights:"):
        categorical([0.5, 0.6])
    g = standard_normal(3)
    np.testing.assert_array_equal(g.moments()[0], np.zeros(3))
    np.testing.assert_array_equal(g.moments()[1], np.eye(3))


def test_prior_sizes_are_validated():
    for bad in (0, -1, 1.5, "2"):
        with pytest.raises(ValueError, match="^k:"):
            uniform_bits(bad)
        with pytest.raises(ValueError, match="^k:"):
            standard_normal(bad)
