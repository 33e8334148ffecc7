"""Lifts (fixed feature maps of the conditioning variable) and the natural-parameter mask."""
from math import comb

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from expfam_nash.families import (Affine, Bernoulli, Categorical, Features, Fourier, GaussianFixed,
                                  GaussianLearned, OneHot, Polynomial, binary_support)


def batches(width, lo=-5.0, hi=5.0, max_rows=6):
    return st.integers(1, max_rows).flatmap(
        lambda n: arrays(np.float64, (n, width), elements=st.floats(lo, hi, allow_nan=False, allow_infinity=False)))


# -- Affine ------------------------------------------------------------------------------
@given(st.integers(1, 5).flatmap(lambda d: st.tuples(st.just(d), batches(d))))
def test_affine_appends_a_trailing_one(case):
    d, u = case
    lift = Affine(d)
    psi = lift(u)
    assert psi.shape == (u.shape[0], d + 1) == (u.shape[0], lift.n_features)
    np.testing.assert_array_equal(psi[:, :d], u)
    np.testing.assert_array_equal(psi[:, lift.bias_index], 1.0)
    assert lift.bias_index == d == lift.n_features - 1
    assert psi.flags.c_contiguous


def test_affine_input_shapes():
    lift = Affine(1)
    np.testing.assert_array_equal(lift(np.array([2.0, 3.0])), [[2.0, 1.0], [3.0, 1.0]])  # 1-D = column
    np.testing.assert_array_equal(Affine(2)(np.array([2.0, 3.0])), [[2.0, 3.0, 1.0]])     # 1-D = one row
    with pytest.raises(ValueError, match="^u:"):
        Affine(2)(np.zeros((3, 3)))
    with pytest.raises(ValueError, match="^u:"):
        Affine(2)(np.array([[np.nan, 0.0]]))
    with pytest.raises(ValueError, match="^input_dim:"):
        Affine(0)


# -- Polynomial ------------------------------------------------------------------------------
@given(st.integers(1, 6), st.integers(1, 4))
def test_polynomial_monomial_counts(d, degree):
    full = Polynomial(d, degree)
    # monomials of total degree <= degree in d variables, constant included: C(d + degree, degree)
    assert full.n_features == comb(d + degree, degree)
    assert len(set(full.monomials)) == len(full.monomials)
    ml = Polynomial(d, degree, multilinear=True)
    # square-free monomials of degree <= degree: sum_j C(d, j), j = 0..degree (j = 0 is the constant)
    assert ml.n_features == sum(comb(d, j) for j in range(min(d, degree) + 1))
    assert all(len(set(m)) == len(m) for m in ml.monomials)
    for lift in (full, ml):
        assert lift.bias_index == lift.n_features - 1
        psi = lift(np.ones((2, d)) * 1.5)
        assert psi.shape == (2, lift.n_features)
        np.testing.assert_array_equal(psi[:, lift.bias_index], 1.0)


def test_polynomial_values_by_hand():
    u = np.array([[2.0, 3.0], [-1.0, 0.5]])
    # monomials u1, u2, u1^2, u1 u2, u2^2, then 1
    np.testing.assert_array_equal(Polynomial(2, 2)(u), [[2, 3, 4, 6, 9, 1], [-1, 0.5, 1, -0.5, 0.25, 1]])
    # multilinear: u1, u2, u1 u2, then 1
    np.testing.assert_array_equal(Polynomial(2, 2, multilinear=True)(u), [[2, 3, 6, 1], [-1, 0.5, -0.5, 1]])
    # degree 3 in one variable: u, u^2, u^3, 1
    np.testing.assert_array_equal(Polynomial(1, 3)(np.array([[2.0]])), [[2, 4, 8, 1]])
    # multilinear degree 3 on {0,1}^3: the last non-constant feature is the product of all three
    psi = Polynomial(3, 3, multilinear=True)(binary_support(3))
    np.testing.assert_array_equal(psi[:, -2], binary_support(3).prod(axis=1))
    # on {0,1}^d the multilinear basis has full column rank (it is a basis of all functions)
    assert np.linalg.matrix_rank(psi) == 8


def test_polynomial_validation():
    with pytest.raises(ValueError, match="^degree:"):
        Polynomial(2, 0)
    with pytest.raises(ValueError, match="^input_dim:"):
        Polynomial(0, 2)


# -- Fourier ------------------------------------------------------------------------------
@given(st.integers(1, 4), st.integers(1, 40), st.floats(0.1, 10.0), st.integers(0, 2 ** 32),
       st.data())
def test_fourier_reproducible_and_bounded(d, count, scale, seed, data):
    u = data.draw(batches(d, -20, 20))
    lift = Fourier(d, count=count, scale=scale, seed=seed)
    psi = lift(u)
    assert psi.shape == (u.shape[0], count + 1) == (u.shape[0], lift.n_features)
    assert lift.bias_index == count
    np.testing.assert_array_equal(psi[:, -1], 1.0)
    assert np.all(np.abs(psi[:, :-1]) <= np.sqrt(2.0 / count))
    np.testing.assert_array_equal(psi, Fourier(d, count=count, scale=scale, seed=seed)(u))
    other = Fourier(d, count=count, scale=scale, seed=seed + 1)
    assert not np.array_equal(other._w, lift._w)
    # the features are the documented formula
    rng = np.random.default_rng(seed)
    w = rng.standard_normal((d, count)) / scale
    b = rng.uniform(0.0, 2 * np.pi, count)
    np.testing.assert_allclose(psi[:, :-1], np.sqrt(2.0 / count) * np.cos(u @ w + b), rtol=0, atol=1e-12)


def test_fourier_seeds_give_different_features():
    u = np.linspace(-2, 2, 10)[:, None]
    assert not np.allclose(Fourier(1, count=8, seed=0)(u), Fourier(1, count=8, seed=1)(u))


def test_fourier_approximates_the_gaussian_kernel():
    # E[psi(u) . psi(v)] (without the constant) = exp(-|u - v|^2 / (2 scale^2))
    lift = Fourier(2, count=20000, scale=1.5, seed=5)
    u = np.array([[0.0, 0.0], [1.0, -0.5]])
    psi = lift(u)[:, :-1]
    k = psi[0] @ psi[1]
    # Monte Carlo error ~ 1/sqrt(count) = 0.007
    assert abs(k - np.exp(-np.sum((u[0] - u[1]) ** 2) / (2 * 1.5 ** 2))) < 0.04
    assert abs(psi[0] @ psi[0] - 1.0) < 0.04


def test_fourier_validation():
    for bad in (0, -3, 2.5):
        with pytest.raises(ValueError, match="^count:"):
            Fourier(2, count=bad)
    for bad in (0.0, -1.0, np.nan, np.inf):
        with pytest.raises(ValueError, match="^scale:"):
            Fourier(2, scale=bad)
    with pytest.raises(ValueError, match="^seed:"):
        Fourier(2, seed=-1)


# -- OneHot / Features -----------------------------------------------------------------------
def test_onehot_is_identity_on_its_support():
    sup = binary_support(3)
    lift = OneHot(sup)
    assert lift.n_features == 8 and lift.input_dim == 3 and lift.bias_index is None
    np.testing.assert_array_equal(lift(sup), np.eye(8))
    np.testing.assert_array_equal(lift(sup[::-1]), np.eye(8)[::-1])
    cat = OneHot(np.arange(4.0))
    np.testing.assert_array_equal(cat(np.array([2.0, 0.0])), np.eye(4)[[2, 0]])
    # -0.0 equals 0.0 and is the same support point
    np.testing.assert_array_equal(cat(np.array([-0.0])), np.eye(4)[[0]])
    np.testing.assert_array_equal(lift(np.array([[-0.0, 1.0, -0.0]])), np.eye(8)[[2]])


def test_onehot_rejects_points_outside_its_support():
    lift = OneHot(binary_support(2))
    for bad in ([[0.5, 0.0]], [[2.0, 1.0]]):
        with pytest.raises(ValueError, match="^u: .*not in the lift's support"):
            lift(np.array(bad))
    with pytest.raises(ValueError, match="^u:"):
        lift(np.zeros((1, 3)))
    with pytest.raises(ValueError, match="^support:"):
        OneHot(np.array([0.0, 1.0, 0.0]))


def test_features_bias():
    sup = np.arange(3.0)
    f = np.array([[1.0, 0.5], [2.0, -1.0], [0.0, 3.0]])
    plain = Features(sup, f)
    assert plain.bias_index is None and plain.n_features == 2
    np.testing.assert_array_equal(plain(np.array([2.0, 0.0])), f[[2, 0]])
    biased = Features(sup, f, bias=True)
    assert biased.n_features == 3 and biased.bias_index == 2
    np.testing.assert_array_equal(biased(sup), np.column_stack([f, np.ones(3)]))
    # an all-ones column supplied by the user is recognised as the bias
    own = Features(sup, np.column_stack([f[:, 0], np.ones(3), f[:, 1]]))
    assert own.bias_index == 1
    # a column that is 1 on some points only is not a bias
    assert Features(sup, np.array([[1.0], [1.0], [0.0]])).bias_index is None


def test_features_validation():
    with pytest.raises(ValueError, match="^features:"):
        Features(np.arange(3.0), np.ones((2, 2)))
    with pytest.raises(ValueError, match="^features:"):
        Features(np.arange(2.0), np.array([[np.nan], [1.0]]))
    with pytest.raises(ValueError, match="^u:"):
        Features(np.arange(2.0), np.ones((2, 1)))(np.array([5.0]))


# -- natural_mask ------------------------------------------------------------------------
@pytest.mark.parametrize("lift", [Affine(2), Polynomial(2, 2), Fourier(2, count=5), Features(np.arange(3.0), np.eye(3), bias=True)],
                         ids=repr)
def test_gaussian_learned_mask_keeps_the_variance_in_the_bias_column(lift):
    d = 3
    fam = GaussianLearned(d)
    mask = fam.natural_mask(lift.n_features, lift.bias_index)
    assert mask.shape == (2 * d, lift.n_features) and mask.dtype == bool
    assert mask[:d].all()
    expected = np.zeros((d, lift.n_features), dtype=bool)
    expected[:, lift.bias_index] = True
    np.testing.assert_array_equal(mask[d:], expected)


def test_mask_without_bias_and_for_other_families():
    # finite conditioning space (one-hot): eta2 < 0 is checked point-wise, every entry free
    assert GaussianLearned(2).natural_mask(4, None).all()
    for fam in (Bernoulli(3), Categorical(4), GaussianFixed(2)):
        m = fam.natural_mask(5, 4)
        assert m.shape == (fam.stat_dim, 5) and m.all()
