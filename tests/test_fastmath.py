"""kernels/fastmath.py's softplus and sigmoid against the libm formulas in ulps, and the Bernoulli
rows kernel (kernels/bernoulli_rows.py) against its NumPy reference."""
import numpy as np
from numba import njit
from scipy.special import expit

from expfam_nash.kernels import bernoulli_rows as br
from expfam_nash.kernels import fastmath as fm


def _ulps(a, b):
    """Distance in units in the last place (same-sign finite float64)."""
    ia, ib = a.view(np.int64), b.view(np.int64)
    return np.abs(ia - ib)


@njit
def _apply(x, out, which):
    for i in range(x.size):
        out[i] = fm.softplus(x[i]) if which == 0 else fm.sigmoid(x[i])


def _points():
    rng = np.random.default_rng(1)
    return np.concatenate([rng.normal(0, 4, 20000), rng.uniform(-745, 745, 5000), rng.uniform(-40, 40, 5000),
                           [0.0, -0.0, 1e-300, -1e-300, 36.7, -36.7, 709.0, -709.0, 745.0, -745.0]])


def test_softplus_within_a_few_ulp_of_libm():
    x = _points()
    out = np.empty_like(x)
    _apply(x, out, 0)
    ref = np.maximum(x, 0.0) + np.log1p(np.exp(-np.abs(x)))
    pos = ref > 0
    # exp within 1 ulp and log1p within 2 ulp of exact (fastmath), each libm call within 1: <= 4 in all
    assert _ulps(out[pos], ref[pos]).max() <= 4
    np.testing.assert_array_equal(out[~pos], ref[~pos])


def test_sigmoid_within_a_few_ulp_of_libm():
    x = _points()
    out = np.empty_like(x)
    _apply(x, out, 1)
    ref = expit(x)
    # below -709 expit's 1 / (1 + exp(-x)) underflows to 0; sigmoid(x) = e^x to rounding there
    deep = x < -40
    ref[deep] = np.exp(x[deep])
    pos = ref > 0
    assert _ulps(out[pos], ref[pos]).max() <= 3
    np.testing.assert_array_equal(out[~pos], ref[~pos])
    assert out[x == 0].tolist() == [0.5, 0.5]


def test_nan_propagates():
    out = np.empty(1)
    for which in (0, 1):
        _apply(np.array([np.nan]), out, which)
        assert np.isnan(out[0])


def test_bernoulli_rows_match_reference():
    rng = np.random.default_rng(2)
    eta = np.ascontiguousarray(rng.normal(0, 6, (300, 7)))
    eta[::17, 3] = 60.0
    sums = np.ascontiguousarray(rng.random((300, 9)))
    a, mu = br.log_partition_mean(eta)
    a_ref, mu_ref = br.log_partition_mean_reference(eta)
    np.testing.assert_allclose(a, a_ref, rtol=4e-15)
    assert _ulps(mu, mu_ref).max() <= 3
    total, dev = br.utility_rows(eta, sums)
    total_ref, dev_ref = br.utility_rows_reference(eta, sums)
    np.testing.assert_allclose(total, total_ref, rtol=1e-13)
    np.testing.assert_allclose(dev, dev_ref, rtol=1e-14, atol=1e-15)
    p1, p0 = np.empty_like(eta), np.empty_like(eta)
    br.sigmoid_pair(eta, p1, p0)
    assert _ulps(p1, expit(eta)).max() <= 3 and _ulps(p0, expit(-eta)).max() <= 3
