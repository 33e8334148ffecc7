"""Exponential families: mean map = grad A, covariance = Hessian A, inverse mean map, finite
supports, agreement with scipy.stats, sampling moments and input validation."""
import numpy as np
import pytest
import scipy.stats as sps
from hypothesis import given
from hypothesis import strategies as st
from conformance import fd
from hypothesis.extra.numpy import arrays
from scipy.special import expit, logsumexp

from expfam_nash._validation import as_rng
from expfam_nash.families import Bernoulli, Categorical, GaussianFixed, GaussianLearned, binary_support

# Central finite differences with step H. The error of (f(x+h) - f(x-h)) / 2h is the
# truncation term h^2/6 |f'''| plus the rounding term ~ eps |f| / h. On the parameter ranges
# below |A| <= ~55 and |mean| <= ~20, and |f'''| <= ~3e4, so the total error is at most about
# 55 * 2.2e-16 / 1e-6 + 1e-12 / 6 * 3e4 ~ 2e-8: a tolerance of 1e-7 (absolute plus relative)
# leaves a margin of ~5 while any wrong formula (a missing term, a factor 2) is off by >= 1e-3.
H = 1e-6
FD_TOL = 1e-7


def rows(n_rows, width, lo, hi):
    return arrays(np.float64, (n_rows, width), elements=st.floats(lo, hi, allow_nan=False, allow_infinity=False))


@st.composite
def family_and_eta(draw):
    """A family and a batch of natural parameters in a sane range (see the FD error bound)."""
    kind = draw(st.sampled_from(["bernoulli", "categorical", "gauss_fixed", "gauss_learned"]))
    n = draw(st.integers(1, 3))
    if kind == "bernoulli":
        fam = Bernoulli(draw(st.integers(1, 4)))
        eta = draw(rows(n, fam.stat_dim, -8, 8))
    elif kind == "categorical":
        fam = Categorical(draw(st.integers(2, 5)))
        eta = draw(rows(n, fam.stat_dim, -8, 8))
    elif kind == "gauss_fixed":
        fam = GaussianFixed(draw(st.integers(1, 3)), draw(st.floats(0.25, 4.0)))
        eta = draw(rows(n, fam.stat_dim, -3, 3))
    else:
        fam = GaussianLearned(draw(st.integers(1, 3)))
        eta = np.concatenate([draw(rows(n, fam.d, -2, 2)), draw(rows(n, fam.d, -3, -0.25))], axis=1)
    return fam, eta


@st.composite
def finite_family_and_eta(draw):
    if draw(st.booleans()):
        fam = Bernoulli(draw(st.integers(1, 4)))
    else:
        fam = Categorical(draw(st.integers(2, 6)))
    return fam, draw(rows(draw(st.integers(1, 3)), fam.stat_dim, -8, 8))


def fd_gradient(f, eta):
    """Row-wise central-difference gradient of a function (N, m) -> (N,) or Jacobian of (N, m) -> (N, p)."""
    return fd(f, eta, H)


# -- 1. the mean map and the covariance are the derivatives of A ---------------------------
@given(family_and_eta())
def test_mean_is_gradient_of_log_partition(case):
    fam, eta = case
    np.testing.assert_allclose(fd_gradient(fam.log_partition, eta), fam.mean(eta), rtol=FD_TOL, atol=FD_TOL)


@given(family_and_eta())
def test_covariance_is_hessian_of_log_partition(case):
    fam, eta = case
    cov = fam.covariance(eta)
    assert cov.shape == (eta.shape[0], fam.stat_dim, fam.stat_dim)
    # d mean_i / d eta_j, stacked with j last: (N, m, m)
    np.testing.assert_allclose(fd_gradient(fam.mean, eta), cov, rtol=FD_TOL, atol=FD_TOL)
    np.testing.assert_array_equal(cov, np.swapaxes(cov, 1, 2))
    assert np.all(np.linalg.eigvalsh(cov) > 0)


@given(family_and_eta())
def test_natural_inverts_mean(case):
    fam, eta = case
    # the round trip loses at most eps / (1 - p) ~ 1e-12 relative at |eta| = 8
    np.testing.assert_allclose(fam.natural(fam.mean(eta)), eta, rtol=1e-9, atol=1e-9)


@given(finite_family_and_eta())
def test_finite_support_normalises_and_gives_the_moments(case):
    fam, eta = case
    support = fam.support()
    assert support.shape == (fam.support_size, fam.dim)
    assert len({tuple(r) for r in support}) == fam.support_size
    t = fam.sufficient_statistics(support)
    for row in eta:
        logp = fam.log_density(support, row[None])
        assert abs(logsumexp(logp)) < 1e-12
        p = np.exp(logp)
        mu = p @ t
        np.testing.assert_allclose(mu, fam.mean(row[None])[0], rtol=0, atol=1e-12)
        cov = (t - mu).T @ ((t - mu) * p[:, None])
        np.testing.assert_allclose(cov, fam.covariance(row[None])[0], rtol=0, atol=1e-12)


def test_binary_support_order():
    np.testing.assert_array_equal(binary_support(2), [[0, 0], [0, 1], [1, 0], [1, 1]])
    np.testing.assert_array_equal(Categorical(3).support(), [[0], [1], [2]])


# -- 2. log densities agree with scipy.stats -----------------------------------------------
@given(st.integers(1, 4).flatmap(lambda d: rows(1, d, -10, 10)))
def test_bernoulli_log_density_matches_scipy(eta):
    fam = Bernoulli(eta.shape[1])
    y = fam.support()
    want = sps.bernoulli.logpmf(y, expit(eta)).sum(axis=1)
    np.testing.assert_allclose(fam.log_density(y, eta), want, rtol=1e-10, atol=1e-10)


@given(st.integers(2, 6).flatmap(lambda k: rows(1, k - 1, -8, 8)))
def test_categorical_log_density_matches_explicit_probabilities(eta):
    fam = Categorical(eta.shape[1] + 1)
    w = np.exp(np.concatenate([[0.0], eta[0]]))
    want = np.log(w / w.sum())
    np.testing.assert_allclose(fam.log_density(fam.support(), eta), want, rtol=1e-10, atol=1e-10)


@given(st.integers(2, 6).flatmap(lambda k: rows(1, k - 1, -3, 3)))
def test_categorical_log_density_matches_scipy_multinomial(eta):
    # scipy recomputes the last probability as 1 - sum(others): keep it away from 0
    K = eta.shape[1] + 1
    fam = Categorical(K)
    p = fam.probabilities(eta)[0]
    want = sps.multinomial.logpmf(np.eye(K), n=1, p=p)
    np.testing.assert_allclose(fam.log_density(fam.support(), eta), want, rtol=1e-10, atol=1e-10)


@given(st.integers(1, 3).flatmap(lambda d: st.tuples(rows(1, d, -3, 3), rows(4, d, -6, 6))),
       st.floats(0.1, 10.0))
def test_gaussian_fixed_log_density_matches_scipy(case, variance):
    eta, y = case
    fam = GaussianFixed(eta.shape[1], variance)
    want = sps.norm.logpdf(y, loc=eta, scale=np.sqrt(variance)).sum(axis=1)
    np.testing.assert_allclose(fam.log_density(y, eta), want, rtol=1e-10, atol=1e-10)
    np.testing.assert_array_equal(fam.location(eta), eta)


@given(st.integers(1, 3).flatmap(lambda d: st.tuples(rows(1, d, -3, 3), rows(1, d, -4, -0.1), rows(4, d, -6, 6))))
def test_gaussian_learned_log_density_matches_scipy(case):
    e1, e2, y = case
    fam = GaussianLearned(e1.shape[1])
    eta = np.concatenate([e1, e2], axis=1)
    want = sps.norm.logpdf(y, loc=-e1 / (2 * e2), scale=np.sqrt(-1.0 / (2 * e2))).sum(axis=1)
    np.testing.assert_allclose(fam.log_density(y, eta), want, rtol=1e-10, atol=1e-10)


def test_log_density_is_row_wise():
    fam = Bernoulli(2)
    y = np.array([[0.0, 1.0], [1.0, 1.0]])
    eta = np.array([[0.3, -1.0], [2.0, 0.5]])
    both = fam.log_density(y, eta)
    assert both.shape == (2,)
    for i in range(2):
        assert both[i] == pytest.approx(fam.log_density(y[i:i + 1], eta[i:i + 1])[0], abs=1e-15)
    # one row of eta is broadcast over all rows of y
    np.testing.assert_allclose(fam.log_density(y, eta[:1]),
                               [fam.log_density(y[i:i + 1], eta[:1])[0] for i in range(2)], atol=1e-15)


# -- 3. sampling -------------------------------------------------------------------------
N_SAMPLES = 100_000
SAMPLE_CASES = [
    (Bernoulli(3), np.array([[-2.0, 0.0, 1.5]])),
    (Bernoulli(1), np.array([[4.0]])),
    (Categorical(4), np.array([[0.5, -1.0, 1.2]])),
    (Categorical(2), np.array([[-3.0]])),
    (GaussianFixed(2, 0.5), np.array([[1.0, -2.0]])),
    (GaussianFixed(1, 3.0), np.array([[0.0]])),
    (GaussianLearned(2), np.array([[1.0, -0.5, -0.8, -2.0]])),
]
IDS = [repr(f) for f, _ in SAMPLE_CASES]


@pytest.mark.parametrize("fam,eta", SAMPLE_CASES, ids=IDS)
def test_sample_mean_of_statistics_matches_mean_map(fam, eta):
    eta_rep = np.repeat(eta, N_SAMPLES, axis=0)
    y = fam.sample(eta_rep, seed=12345)
    assert y.shape == (N_SAMPLES, fam.dim)
    t = fam.sufficient_statistics(fam.check_support(y))
    se = np.sqrt(np.diag(fam.covariance(eta)[0]) / N_SAMPLES)
    assert np.all(np.abs(t.mean(axis=0) - fam.mean(eta)[0]) <= 5 * se)


@pytest.mark.parametrize("fam,eta", SAMPLE_CASES, ids=IDS)
def test_sample_covariance_of_statistics_matches_covariance(fam, eta):
    # the sample variance of each statistic has standard error sqrt(Var[(T - mu)^2] / n);
    # estimate that fourth-moment term from the sample itself
    y = fam.sample(np.repeat(eta, N_SAMPLES, axis=0), seed=777)
    t = fam.sufficient_statistics(y)
    dev2 = (t - fam.mean(eta)[0]) ** 2
    se = dev2.std(axis=0) / np.sqrt(N_SAMPLES)
    assert np.all(np.abs(dev2.mean(axis=0) - np.diag(fam.covariance(eta)[0])) <= 5 * se)


@pytest.mark.parametrize("fam,eta", SAMPLE_CASES, ids=IDS)
def test_sampling_is_reproducible(fam, eta):
    eta_rep = np.repeat(eta, 200, axis=0)
    a = fam.sample(eta_rep, seed=3)
    np.testing.assert_array_equal(a, fam.sample(eta_rep, seed=3))
    assert not np.array_equal(a, fam.sample(eta_rep, seed=4))
    np.testing.assert_array_equal(a, fam.sample(eta_rep, rng=np.random.default_rng(3)))
    np.testing.assert_array_equal(a, fam.sample(eta_rep, rng=as_rng(3)))
    # a shared generator advances: two draws from it differ, and equal two successive draws
    g = np.random.default_rng(3)
    b1, b2 = fam.sample(eta_rep, rng=g), fam.sample(eta_rep, rng=g)
    np.testing.assert_array_equal(b1, a)
    assert not np.array_equal(b1, b2)


def test_sample_rejects_bad_seed_and_rng():
    fam = Bernoulli(2)
    with pytest.raises(ValueError, match="^seed, rng:"):
        fam.sample(np.zeros((1, 2)), seed=1, rng=np.random.default_rng(1))
    with pytest.raises(ValueError, match="^rng:"):
        fam.sample(np.zeros((1, 2)), rng=np.random.RandomState(1))
    for bad in (-1, 1.5, "1", True):
        with pytest.raises(ValueError, match="^seed:"):
            fam.sample(np.zeros((1, 2)), seed=bad)


def test_sample_one_draw_per_row():
    fam = Bernoulli(2)
    eta = np.array([[-40.0, 40.0], [40.0, -40.0]])
    np.testing.assert_array_equal(fam.sample(eta, seed=0), [[0.0, 1.0], [1.0, 0.0]])
    cat = Categorical(3)
    np.testing.assert_array_equal(cat.sample(np.array([[-40.0, -40.0], [40.0, -40.0], [-40.0, 40.0]]), seed=0),
                                  [[0.0], [1.0], [2.0]])
    assert fam.sample(np.zeros(2), seed=0).shape == (1, 2)


# -- 4. validation -------------------------------------------------------------------------
ALL_FAMILIES = [Bernoulli(2), Categorical(3), GaussianFixed(2, 1.5), GaussianLearned(2)]
GOOD_ETA = {"Bernoulli": [[0.1, -0.2]], "Categorical": [[0.1, -0.2]], "GaussianFixed": [[0.1, -0.2]],
            "GaussianLearned": [[0.1, -0.2, -1.0, -0.5]]}
GOOD_Y = {"Bernoulli": [[0.0, 1.0]], "Categorical": [[2.0]], "GaussianFixed": [[0.1, -0.2]],
          "GaussianLearned": [[0.1, -0.2]]}


def _key(fam):
    return type(fam).__name__


@pytest.mark.parametrize("fam", ALL_FAMILIES, ids=repr)
def test_good_inputs_pass(fam):
    out = fam.log_density(np.array(GOOD_Y[_key(fam)]), np.array(GOOD_ETA[_key(fam)]))
    assert out.shape == (1,) and np.isfinite(out).all()


@pytest.mark.parametrize("fam", ALL_FAMILIES, ids=repr)
def test_eta_wrong_shape_or_not_finite(fam):
    eta = np.array(GOOD_ETA[_key(fam)])
    y = np.array(GOOD_Y[_key(fam)])
    for bad in (eta[:, :-1], np.concatenate([eta, eta[:, :1]], axis=1), eta[None], "abc"):
        with pytest.raises(ValueError, match="^eta:"):
            fam.log_density(y, bad)
        with pytest.raises(ValueError, match="^eta:"):
            fam.sample(bad, seed=0)
    for v in (np.nan, np.inf, -np.inf):
        bad = eta.copy()
        bad[0, 0] = v
        with pytest.raises(ValueError, match="^eta:"):
            fam.log_density(y, bad)
        with pytest.raises(ValueError, match="^eta:"):
            fam.sample(bad, seed=0)
    # eta rows must be 1 or match y
    with pytest.raises(ValueError, match="^eta:"):
        fam.log_density(np.repeat(y, 3, axis=0), np.repeat(eta, 2, axis=0))


@pytest.mark.parametrize("fam", ALL_FAMILIES, ids=repr)
def test_y_wrong_shape_or_not_finite(fam):
    eta = np.array(GOOD_ETA[_key(fam)])
    y = np.array(GOOD_Y[_key(fam)])
    for bad in (np.concatenate([y, y], axis=1), y[None], np.zeros((2, 3, 1))):
        with pytest.raises(ValueError, match="^y:"):
            fam.log_density(bad, eta)
    for v in (np.nan, np.inf):
        bad = y.copy()
        bad[0, 0] = v
        with pytest.raises(ValueError, match="^y:"):
            fam.log_density(bad, eta)


def test_bernoulli_values_must_be_bits():
    fam = Bernoulli(2)
    for bad in ([[0.5, 1.0]], [[2.0, 0.0]], [[0.0, -1.0]]):
        with pytest.raises(ValueError, match="^y: .*0 or 1"):
            fam.log_density(np.array(bad), np.zeros((1, 2)))


def test_categorical_values_in_range():
    fam = Categorical(3)
    for bad in (3.0, -1.0, 1.5):
        with pytest.raises(ValueError, match="^y: .*0..2"):
            fam.log_density(np.array([[bad]]), np.zeros((1, 2)))
    # a 1-D y of class indices is a column
    assert fam.log_density(np.array([0.0, 1.0, 2.0]), np.zeros((1, 2))).shape == (3,)


def test_gaussian_learned_needs_negative_precision_block():
    fam = GaussianLearned(2)
    for bad in ([[0.0, 0.0, 0.0, -1.0]], [[0.0, 0.0, -1.0, 0.5]]):
        with pytest.raises(ValueError, match="^eta: .*< 0"):
            fam.log_density(np.zeros((1, 2)), np.array(bad))
        with pytest.raises(ValueError, match="^eta:"):
            fam.sample(np.array(bad), seed=0)
    # a positive *first* block is fine
    fam.check_natural(np.array([[5.0, 5.0, -1.0, -1.0]]))


def test_constructor_validation():
    for bad in (0, -1, 1.0, True, "2"):
        with pytest.raises(ValueError, match="^d:"):
            Bernoulli(bad)
        with pytest.raises(ValueError, match="^d:"):
            GaussianFixed(bad)
        with pytest.raises(ValueError, match="^d:"):
            GaussianLearned(bad)
    for bad in (1, 0, 2.0):
        with pytest.raises(ValueError, match="^K:"):
            Categorical(bad)
    for bad in (0.0, -1.0, np.nan, np.inf, "x"):
        with pytest.raises(ValueError, match="^variance:"):
            GaussianFixed(2, bad)
    assert GaussianFixed(1, 2).variance == 2.0


def test_support_enumeration_limits():
    with pytest.raises(ValueError, match="^d: .*sampled engine"):
        Bernoulli(30).support()
    assert Bernoulli(30).support_size == 2 ** 30
    for fam in (GaussianFixed(1), GaussianLearned(1)):
        with pytest.raises(ValueError, match="sampled engine"):
            fam.support()
        assert fam.support_size == float("inf")


def test_natural_rejects_means_outside_the_domain():
    with pytest.raises(ValueError, match="^mu:"):
        Bernoulli(2).natural(np.array([0.0, 0.5]))
    with pytest.raises(ValueError, match="^mu:"):
        Bernoulli(2).natural(np.array([0.5, 1.0]))
    with pytest.raises(ValueError, match="^mu:"):
        Categorical(3).natural(np.array([[0.6, 0.4]]))   # reference class gets 0
    with pytest.raises(ValueError, match="^mu:"):
        Categorical(3).natural(np.array([[0.0, 0.4]]))
    with pytest.raises(ValueError, match="^mu:"):
        GaussianLearned(1).natural(np.array([[2.0, 4.0]]))   # variance 0


@pytest.mark.parametrize("fam", ALL_FAMILIES, ids=repr)
def test_natural_rejects_nan_and_wrong_width(fam):
    mu = fam.mean(np.array(GOOD_ETA[_key(fam)], dtype=float))
    bad = mu.copy()
    bad[0, 0] = np.nan
    with pytest.raises(ValueError, match="^mu:"):
        fam.natural(bad)
    with pytest.raises(ValueError, match="^mu:"):
        fam.natural(np.concatenate([mu, mu], axis=1))
