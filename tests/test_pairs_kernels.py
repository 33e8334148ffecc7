"""The pair-sum kernels against materialised NumPy computations.

``pair_sums`` (Numba, blocked, parallel) vs ``pair_sums_reference``; the factorised Bernoulli
paths ``bernoulli_product_row_sums`` / ``bernoulli_product_col_sums`` vs the explicit
|support| x |cols| weight table; the vectorisable exponential vs ``np.exp``; determinism.
Values are drawn from a NumPy generator seeded by hypothesis (shapes and seeds are the
hypothesis-controlled part), so every example is reproducible from its printed seed.
"""
import numba
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from numba import njit

from expfam_nash.families.bernoulli import binary_support, softplus
from expfam_nash.kernels import pairs
from expfam_nash.kernels.pairs import (bernoulli_product_col_sums, bernoulli_product_row_sums, pair_sums,
                                       pair_sums_reference)

RTOL = 1e-12


def _close(got, ref, scale):
    """|got - ref| <= RTOL * scale elementwise, scale = the same sums with |W| and |features|
    (no cancellation), so the test is relative to the size of what was summed."""
    assert got.shape == ref.shape
    assert np.all(np.isfinite(got))
    np.testing.assert_array_less(np.abs(got - ref), RTOL * scale + 1e-300)


def _pair_inputs(seed, n_rows, n_cols, p, s, t, dead_cols=0, dead_rows=0):
    rng = np.random.default_rng(seed)
    a = rng.standard_normal((n_rows, p))
    b = rng.standard_normal((p, n_cols)) * 0.7
    row_offset = -rng.exponential(2.0, n_rows)
    col_offset = -rng.exponential(2.0, n_cols)
    col_offset[rng.permutation(n_cols)[:dead_cols]] = -np.inf
    row_offset[rng.permutation(n_rows)[:dead_rows]] = -np.inf
    col_features = rng.standard_normal((n_cols, s))
    row_features = rng.standard_normal((n_rows, t))
    return a, b, row_offset, col_offset, col_features, row_features


KERNELS = {"serial": pairs._pair_sums_serial, "parallel": pairs._pair_sums_parallel, "public": pair_sums}
variants = pytest.mark.parametrize("variant", sorted(KERNELS))


def _check_pair_sums(args, block, variant="public"):
    a, b, ro, co, cf, rf = args
    rw, cw = KERNELS[variant](a, b, ro, co, cf, rf, block)
    rw_ref, cw_ref = pair_sums_reference(a, b, ro, co, cf, rf)
    rw_abs, cw_abs = pair_sums_reference(a, b, ro, co, np.abs(cf), np.abs(rf))
    _close(rw, rw_ref, rw_abs)
    _close(cw, cw_ref, cw_abs)
    return rw, cw


shapes = st.tuples(st.integers(1, 70), st.integers(1, 40), st.integers(0, 5), st.integers(0, 4), st.integers(0, 4))


@variants
@given(seed=st.integers(0, 2 ** 32 - 1), shape=shapes, block=st.integers(1, 80))
def test_pair_sums_matches_reference(variant, seed, shape, block):
    """Any block size, including ones that do not divide the row count or exceed it."""
    _check_pair_sums(_pair_inputs(seed, *shape), block, variant)


@variants
@given(seed=st.integers(0, 2 ** 32 - 1), n_cols=st.integers(1, 50), p=st.integers(0, 4), block=st.integers(1, 5))
def test_pair_sums_single_row(variant, seed, n_cols, p, block):
    _check_pair_sums(_pair_inputs(seed, 1, n_cols, p, 3, 2), block, variant)


@variants
@given(seed=st.integers(0, 2 ** 32 - 1), shape=shapes, block=st.integers(1, 40), data=st.data())
def test_pair_sums_zero_weight_columns_and_rows(variant, seed, shape, block, data):
    """Log weight -inf: the column (row) contributes exactly nothing and gets exactly 0."""
    n_rows, n_cols = shape[0], shape[1]
    dead_c = data.draw(st.integers(1, n_cols), label="dead columns")
    dead_r = data.draw(st.integers(0, n_rows), label="dead rows")
    args = _pair_inputs(seed, *shape, dead_cols=dead_c, dead_rows=dead_r)
    rw, cw = _check_pair_sums(args, block, variant)
    _, _, ro, co, cf, rf = args
    assert np.all(cw[np.isneginf(co)] == 0.0)
    assert np.all(rw[np.isneginf(ro)] == 0.0)
    live = ~np.isneginf(co)
    a, b = args[0], args[1]
    rw_live, _ = pair_sums_reference(a, np.ascontiguousarray(b[:, live]), ro, co[live], cf[live], rf)
    _close(rw, rw_live, pair_sums_reference(a, np.ascontiguousarray(b[:, live]), ro, co[live], np.abs(cf[live]), rf)[0])


def test_pair_sums_all_columns_dead():
    a, b, ro, co, cf, rf = _pair_inputs(3, 9, 5, 2, 2, 2)
    rw, cw = pair_sums(a, b, ro, np.full(5, -np.inf), cf, rf, 4)
    assert np.all(rw == 0.0) and np.all(cw == 0.0)


def test_pair_sums_large_exponents_underflow_to_zero_not_nan():
    """Very negative log weights (below exp's range) give 0, large positive ones +inf, as np.exp."""
    a, b, ro, co, cf, rf = _pair_inputs(4, 12, 7, 1, 1, 1)
    co[:3] = [-800.0, -746.0, -745.5]
    rw, cw = pair_sums(a, b, ro, co, np.abs(cf), np.abs(rf), 5)
    rw_ref, cw_ref = pair_sums_reference(a, b, ro, co, np.abs(cf), np.abs(rf))
    np.testing.assert_allclose(rw, rw_ref, rtol=1e-12, atol=0)
    np.testing.assert_allclose(cw, cw_ref, rtol=1e-12, atol=0)


@given(seed=st.integers(0, 2 ** 32 - 1), shape=shapes, block=st.integers(1, 30))
def test_pair_sums_deterministic(seed, shape, block):
    """Bit-for-bit the same on repeated calls, and the same from the serial and the parallel
    variant (same chunks, same reduction order)."""
    args = _pair_inputs(seed, *shape)
    first = pair_sums(*args, block)
    for fn in (pair_sums, pair_sums, pairs._pair_sums_parallel, pairs._pair_sums_serial):
        again = fn(*args, block)
        assert np.array_equal(first[0], again[0]) and np.array_equal(first[1], again[1])


def test_pair_sums_public_entry_takes_the_parallel_path_for_large_inputs(monkeypatch):
    args = _pair_inputs(8, 300, 20, 3, 2, 2)
    serial = pair_sums(*args, 16)
    monkeypatch.setattr(pairs, "PARALLEL_MIN_PAIRS", 1)
    calls = []
    monkeypatch.setattr(pairs, "_pair_sums_parallel", lambda *a: calls.append(1) or KERNELS["parallel"](*a))
    parallel = pair_sums(*args, 16)
    assert calls and all(np.array_equal(x, y) for x, y in zip(serial, parallel))


def test_pair_sums_accepts_non_contiguous_inputs():
    a, b, ro, co, cf, rf = _pair_inputs(9, 30, 12, 3, 2, 2)
    got = pair_sums(np.asfortranarray(a), b.T.copy().T, ro, co, cf[::1], np.asfortranarray(rf), 7)
    ref = pair_sums(a, b, ro, co, cf, rf, 7)
    assert all(np.array_equal(x, y) for x, y in zip(got, ref))


@pytest.mark.skipif(numba.config.NUMBA_NUM_THREADS < 2, reason="needs at least 2 Numba threads")
def test_pair_sums_independent_of_thread_count():
    """The chunking and the reduction order of CW do not depend on the number of threads."""
    args = _pair_inputs(11, 1000, 37, 4, 3, 5)
    before = numba.get_num_threads()
    try:
        results = []
        for n in sorted({1, 2, numba.config.NUMBA_NUM_THREADS}):
            numba.set_num_threads(n)
            results.append(pairs._pair_sums_parallel(*args, 7))
    finally:
        numba.set_num_threads(before)
    for rw, cw in results[1:]:
        assert np.array_equal(rw, results[0][0]) and np.array_equal(cw, results[0][1])


# -- the factorised Bernoulli paths ------------------------------------------------------------
def _bernoulli_table(eta, log_weight):
    """W[y, r] = w_r p(y | eta_r) over y in {0,1}^b, materialised."""
    y = binary_support(eta.shape[1])
    with np.errstate(invalid="ignore"):
        return np.exp(y @ eta.T - softplus(eta).sum(1)[None, :] + log_weight[None, :])


def _bernoulli_inputs(seed, n, bits, f, dead):
    rng = np.random.default_rng(seed)
    eta = rng.standard_normal((n, bits)) * 2.0
    log_w = np.log(rng.dirichlet(np.ones(n)))
    log_w[rng.permutation(n)[:dead]] = -np.inf
    feats = rng.standard_normal((n, f))
    return eta, log_w, feats


bern = st.tuples(st.integers(0, 2 ** 32 - 1), st.integers(1, 20), st.integers(1, 8), st.integers(0, 4))


@given(case=bern, data=st.data())
def test_bernoulli_product_row_sums_matches_materialised(case, data):
    seed, n_cols, d, s = case
    split = data.draw(st.one_of(st.none(), st.integers(0, d)), label="d_high")
    dead = data.draw(st.integers(0, n_cols), label="dead columns")
    eta, log_w, feats = _bernoulli_inputs(seed, n_cols, d, s, dead)
    w = _bernoulli_table(eta, log_w)                              # (2^d, cols)
    got = bernoulli_product_row_sums(eta, log_w, feats, split)
    assert got.shape == (2 ** d, s)
    _close(got, w @ feats, w @ np.abs(feats))


@given(case=bern, data=st.data())
def test_bernoulli_product_col_sums_matches_materialised(case, data):
    seed, n_rows, k, t = case
    split = data.draw(st.one_of(st.none(), st.integers(0, k)), label="k_high")
    dead = data.draw(st.integers(0, n_rows), label="dead rows")
    eta, log_w, feats = _bernoulli_inputs(seed, n_rows, k, t, dead)
    w = _bernoulli_table(eta, log_w)                              # (2^k, rows)
    got = bernoulli_product_col_sums(eta, log_w, feats, split)
    assert got.shape == (2 ** k, t)
    _close(got, w @ feats, w @ np.abs(feats))


@given(case=bern)
def test_bernoulli_product_sums_in_chunks(case):
    """Streaming the non-factorised axis in many small chunks changes nothing but rounding."""
    seed, n, bits, f = case
    eta, log_w, feats = _bernoulli_inputs(seed, n, bits, f, 0)
    whole = bernoulli_product_row_sums(eta, log_w, feats)
    saved = pairs.PRODUCT_SCRATCH
    pairs.PRODUCT_SCRATCH = 1                                     # one row/column per chunk
    try:
        chunked = bernoulli_product_row_sums(eta, log_w, feats)
        chunked_cols = bernoulli_product_col_sums(eta, log_w, feats)
    finally:
        pairs.PRODUCT_SCRATCH = saved
    w = _bernoulli_table(eta, log_w)
    _close(chunked, whole, w @ np.abs(feats))
    _close(chunked_cols, whole, w @ np.abs(feats))


def test_bernoulli_product_row_sums_agrees_with_pair_sums_on_the_game_shape():
    """The two paths the engine can take for the encoder's row sums agree (d = 10, 2^6 columns)."""
    eta, log_w, _ = _bernoulli_inputs(5, 64, 10, 0, 3)
    feats = np.column_stack([binary_support(6), np.ones(64), np.zeros(64)])
    x = binary_support(10)
    rw, _ = pair_sums(x, np.ascontiguousarray(eta.T), np.zeros(1024), log_w - softplus(eta).sum(1), feats,
                      np.zeros((1024, 0)), 100)
    got = bernoulli_product_row_sums(eta, log_w, feats)
    _close(got, rw, _bernoulli_table(eta, log_w) @ np.abs(feats))


def test_bernoulli_product_deterministic():
    eta, log_w, feats = _bernoulli_inputs(6, 300, 9, 5, 10)
    for fn in (bernoulli_product_row_sums, bernoulli_product_col_sums):
        first = fn(eta, log_w, feats)
        assert all(np.array_equal(first, fn(eta, log_w, feats)) for _ in range(2))


# -- the exponential -------------------------------------------------------------------------
@njit
def _exp_all(x):
    out = np.empty_like(x)
    for i in range(x.shape[0]):
        out[i] = pairs._exp(x[i])
    return out


def test_exp_within_one_ulp_of_numpy():
    rng = np.random.default_rng(0)
    x = np.concatenate([rng.uniform(-760, 720, 200_000), rng.uniform(-1, 1, 50_000), rng.uniform(-40, 0, 50_000),
                        [-745.13, -745.14, -708.4, -708.3, 709.78, 709.79, 0.0, -0.0, 1e-300, -1e-300]])
    got = _exp_all(x)
    with np.errstate(over="ignore"):
        ref = np.exp(x)
    ok = np.isfinite(ref) & (ref > 0)
    ulps = np.abs(got[ok] - ref[ok]) / np.spacing(ref[ok])
    assert ulps.max() <= 1.0
    assert np.array_equal(got[~ok], ref[~ok])                       # 0 and +inf where np.exp gives them


def test_exp_special_values():
    got = _exp_all(np.array([-np.inf, np.inf, np.nan, -1e308, 1e308]))
    assert got[0] == 0.0 and got[1] == np.inf and np.isnan(got[2]) and got[3] == 0.0 and got[4] == np.inf
