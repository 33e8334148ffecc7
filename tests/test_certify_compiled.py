"""The compiled certificate kernels (``certify.cholesky``, ``certify.box_kernels``) against their
NumPy/BLAS ball references, and the positive-definiteness bound against exact eigenvalues.

Tolerances are in units of the matrices' own scale (never absolute): both paths compute the same
bound c - ||E|| - ||Sr||, with c from two LAPACK builds and E from two Cholesky factorisations,
so they may differ by a few n u ||S||."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

mpmath = pytest.importorskip("mpmath")

from expfam_nash.certify import box_kernels  # noqa: E402
from expfam_nash.certify.ball import Ball, grow  # noqa: E402
from expfam_nash.certify.krawczyk import approximate_inverse  # noqa: E402
from expfam_nash.certify.linalg import (balance, lambda_min_lower, lambda_min_lower_reference, product,  # noqa: E402
                                        similar)
from expfam_nash.certify.lyapunov import _lyapunov_margin  # noqa: E402

U = 2.0 ** -53


def _exact_lambda_min(M: np.ndarray) -> float:
    """lambda_min of the exact float matrix M (60 digits; M symmetric)."""
    with mpmath.workdps(60):
        w = mpmath.eigsy(mpmath.matrix(M.tolist()), eigvals_only=True)
        return float(min(w))


def _symmetric(rng, n, scale, lo=-8.0, hi=3.0, negative=False):
    Q, _ = np.linalg.qr(rng.standard_normal((n, n)))
    lam = 10.0 ** rng.uniform(lo, hi, n)
    if negative:
        lam[0] = -lam[0]
    M = (Q * (lam * scale)) @ Q.T
    return np.triu(M) + np.triu(M, 1).T                      # exactly symmetric


@settings(deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 24), log_scale=st.floats(-150, 150),
       negative=st.booleans(), log_rad=st.floats(-16, -6))
def test_compiled_lambda_min_bound_is_sound_and_agrees_with_the_reference(seed, n, log_scale, negative, log_rad):
    rng = np.random.default_rng(seed)
    scale = 10.0 ** log_scale
    M = _symmetric(rng, n, scale, negative=negative)
    A = Ball(M, np.abs(M) * 10.0 ** log_rad)
    ours, ref = lambda_min_lower(A), lambda_min_lower_reference(A)
    if ours > 0:
        assert ours <= _exact_lambda_min(M)                   # a lower bound at the midpoint (exact)
        assert not negative
    size = float(np.linalg.norm(M))
    if np.isfinite(ours) and np.isfinite(ref):
        assert abs(ours - ref) <= 64 * n * U * size
    else:                                                     # one certifies only near the margin
        assert not (max(ours, ref) > 1e-9 * size)


def test_the_radius_of_the_ball_is_part_of_the_bound():
    """lambda_min(M) = 1 but a member M - 1.5 e e^T of the ball is indefinite: nothing certified."""
    rng = np.random.default_rng(3)
    n = 6
    M = _symmetric(rng, n, 1.0, lo=0.0, hi=1.0)
    M = M - (_exact_lambda_min(M) - 1.0) * np.eye(n)
    rad = np.full((n, n), 1.5 / n)                             # ||rad||_2 = 1.5 > lambda_min(M)
    assert not lambda_min_lower(Ball(M, rad)) > 0
    assert lambda_min_lower(Ball(M, rad * 1e-3)) > 0


def _jacobian_ball(rng, n, scale):
    Jm = -np.eye(n) * scale + 0.3 * scale * rng.standard_normal((n, n))
    Jm = Jm * 10.0 ** rng.uniform(-3, 3, (n, 1))              # badly scaled rows, as after a change of units
    return Ball(Jm, np.abs(Jm) * 10.0 ** rng.uniform(-12, -8, (n, n)))      # radii not symmetric


@settings(deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 20), log_scale=st.floats(-100, 100))
def test_box_test_kernels_equal_the_python_ball_code(seed, n, log_scale):
    rng = np.random.default_rng(seed)
    J = _jacobian_ball(rng, n, 10.0 ** log_scale)
    R = approximate_inverse(J.mid)
    if R is None:
        return
    g = Ball(rng.standard_normal(n) * 1e-9, np.full(n, 1e-20))
    r = 10.0 ** rng.uniform(-9, -6, n)
    ref_a = product(R, g.reshape(-1, 1), "ball").reshape(-1).upper_abs()
    a = box_kernels.residual_step(R, g.mid, g.rad)
    np.testing.assert_allclose(a, ref_a, rtol=4 * n * U, atol=0)
    C = np.eye(n) - product(R, J, "ball")
    ref_k = grow(ref_a + grow(C.upper_abs() @ r, n + 2), 1)
    k = box_kernels.contraction_radius(R, J.mid, J.rad, ref_a, r)
    np.testing.assert_allclose(k, ref_k, rtol=8 * n * U, atol=0)

    d = balance(J.mid)
    ours, ref = box_kernels.diagonal_margin(J.mid, J.rad, d), _lyapunov_margin(similar(J, d), None, 0.0, 0.0, "ball")
    Jh = J.mid * (d[None, :] / d[:, None])
    size = float(np.linalg.norm(Jh + Jh.T))
    if np.isfinite(ours) and np.isfinite(ref):
        assert abs(ours - ref) <= 64 * n * U * size
    else:
        assert not (max(ours, ref) > 1e-9 * size)

    k0 = int(rng.integers(0, n))
    sl = slice(k0, n)
    S = Ball(np.triu(J.mid) + np.triu(J.mid, 1).T, J.rad)    # an exactly symmetric midpoint (own Hessians)
    for B in (J, S):
        ours = box_kernels.own_block_margin(B.mid, B.rad, sl.start, sl.stop)
        ref = lambda_min_lower_reference(-B[sl, sl])
        size = float(np.linalg.norm(B.mid[sl, sl]))
        if np.isfinite(ours) and np.isfinite(ref):
            assert abs(ours - ref) <= 64 * n * U * size
        else:
            assert not (max(ours, ref) > 1e-9 * size)


@settings(deadline=None)
@given(seed=st.integers(0, 2**32 - 1), s=st.integers(1, 7), shuffle=st.booleans(), log_rad=st.floats(-16, -4))
def test_conditional_table_equals_the_bitwise_products(seed, s, shuffle, log_rad):
    """The prefix-sharing table of p(y | row) over a Bernoulli support (lexicographic, or any
    order) is the sequential product of :func:`_conditional`, row by row (products only: the same
    operations, so equal to within an ulp whatever the compiler contracts)."""
    from expfam_nash.certify.kernels import BERNOULLI, _conditional, _conditional_table

    rng = np.random.default_rng(seed)
    stats = np.array([[(y >> (s - 1 - c)) & 1 for c in range(s)] for y in range(2 ** s)], dtype=np.float64)
    if shuffle:
        stats = stats[rng.permutation(len(stats))]
    on = rng.uniform(0.01, 0.99, (3, s))
    pm = np.hstack([on, 1.0 - on])
    pr = pm * 10.0 ** log_rad
    cls = np.zeros(len(stats), dtype=np.int64)
    out_m, out_r = np.empty(len(stats)), np.empty(len(stats))
    for row in range(3):
        _conditional_table(BERNOULLI, pm, pr, row, stats, cls, out_m, out_r)
        ref = np.array([_conditional(BERNOULLI, pm, pr, row, stats, cls, r) for r in range(len(stats))])
        np.testing.assert_array_max_ulp(out_m, ref[:, 0], maxulp=1)
        np.testing.assert_array_max_ulp(out_r, ref[:, 1], maxulp=1)
