"""Ball arithmetic and verified linear algebra of ``expfam_nash.certify`` against arb.

Every ball the float code returns must contain the exact real result, which arb encloses to
128 bits; containment is checked in arb (``ours.contains(exact)``), never in floating point."""
import numpy as np
import pytest

flint = pytest.importorskip("flint")
from flint import arb, arb_mat  # noqa: E402

from expfam_nash.certify import arb as arb_backend  # noqa: E402
from expfam_nash.certify.ball import Ball, matmul  # noqa: E402
from expfam_nash.certify.linalg import determinant_sign, inverse_enclosure, lambda_min_lower  # noqa: E402

RNG = np.random.default_rng(20260101)


def _wide(n, rng=RNG):
    """Floats with mixed signs and magnitudes 1e-12 .. 1e12."""
    return rng.choice([-1.0, 1.0], n) * 10.0 ** rng.uniform(-12, 12, n) * rng.uniform(0.5, 1.5, n)


def _contains(ours: Ball, exact) -> bool:
    """Every exact value (arb, 128 bits) lies in our ball, decided in arb."""
    mids, rads = np.ravel(ours.mid), np.ravel(ours.rad)
    return all(arb(float(m), float(r)).contains(e) for m, r, e in zip(mids, rads, np.ravel(exact)))


def _arb(x):
    return np.asarray(np.frompyfunc(lambda v: arb(float(v)), 1, 1)(np.asarray(x, float)), dtype=object)


@pytest.fixture(autouse=True)
def _precision():
    with arb_backend.precision(160):
        yield


def test_elementwise_operations_contain_the_exact_result():
    n = 400
    a, b = _wide(n), _wide(n)
    ra, rb = np.abs(a) * 10.0 ** RNG.uniform(-17, -3, n), np.abs(b) * 10.0 ** RNG.uniform(-17, -3, n)
    A, B = Ball(a, ra), Ball(b, rb)
    # exact operands (radius 0): the result must contain the exact operation on the floats
    ea, eb = _arb(a), _arb(b)
    assert _contains(Ball.exact(a) + b, ea + eb)
    assert _contains(Ball.exact(a) * b, ea * eb)
    assert _contains(Ball.exact(a) / b, ea / eb)
    assert _contains(Ball.exact(b).recip(), 1 / eb)
    # balls: the worst point of the inputs (a corner) must be inside
    for sa in (-1, 1):
        for sb in (-1, 1):
            xa, xb = _arb(a) + sa * 0.999 * _arb(ra), _arb(b) + sb * 0.999 * _arb(rb)      # corners, in arb
            assert _contains(A * B, xa * xb)
            assert _contains(A + B, xa + xb)
            assert _contains(A.square(), xa * xa)


def test_exp_and_sigmoid_contain_arb_values():
    x = RNG.uniform(-700, 700, 600)
    x[:50] = RNG.uniform(-1e-8, 1e-8, 50)
    r = np.abs(x) * 10.0 ** RNG.uniform(-17, -6, x.size)
    e = np.frompyfunc(lambda v: v.exp(), 1, 1)
    assert _contains(Ball.exact(x).exp(), e(_arb(x)))                     # libm within the assumed 4 ulp
    for s in (-0.999, 0.999):
        xs = _arb(x) + s * _arb(r)
        on, off = Ball(x, r).sigmoid_pair()
        assert _contains(on, 1 / (1 + e(-xs)))
        assert _contains(off, 1 / (1 + e(xs)))


def test_sums_and_products_contain_arb_values():
    A = Ball(_wide(40 * 30).reshape(40, 30), 0.0)
    B = _wide(30 * 20).reshape(30, 20)
    exact = arb_mat(_arb(A.mid).tolist()) * arb_mat(_arb(B).tolist())
    assert _contains(matmul(A, B), np.array(exact.entries()).reshape(40, 20))
    Br = Ball(B, np.abs(B) * 1e-9)
    worst = B + np.sign(A.mid.sum(0))[:, None] * 0.999 * np.abs(B) * 1e-9
    exact2 = arb_mat(_arb(A.mid).tolist()) * arb_mat(_arb(worst).tolist())
    assert _contains(A @ Br, np.array(exact2.entries()).reshape(40, 20))
    v = _wide(500)
    assert _contains(Ball.exact(v).sum(), sum(_arb(v), arb(0)))


def test_lambda_min_lower_is_a_lower_bound_and_never_certifies_a_singular_matrix():
    n = 12
    Q, _ = np.linalg.qr(RNG.standard_normal((n, n)))
    lam = np.linspace(0.5, 3.0, n)
    M = (Q * lam) @ Q.T
    M = 0.5 * (M + M.T)
    low = lambda_min_lower(Ball(M, np.full(M.shape, 1e-12)))
    assert 0 < low <= np.linalg.eigvalsh(M)[0] + 1e-9
    v = RNG.standard_normal((n, 1))
    singular = v @ v.T                                                      # rank one: lambda_min = 0 exactly
    assert not lambda_min_lower(Ball(singular)) > 0
    graded = np.array([[4e18, 1.36e9], [1.36e9, 0.66]])                 # PD, scales 1e18 apart
    assert lambda_min_lower(Ball(graded)) > 0
    assert not lambda_min_lower(Ball(np.array([[4e18, 2e9], [2e9, 0.99]]))) > 0   # det < 0


def test_determinant_sign_and_inverse_agree_with_arb():
    for trial in range(20):
        n = 2 + trial % 6
        M = RNG.standard_normal((n, n)) * 10.0 ** RNG.uniform(-6, 6, (n, 1))
        det = arb_mat(_arb(M).tolist()).det()
        s = determinant_sign(Ball(M))
        if s:
            assert (det > 0 and s == 1) or (det < 0 and s == -1)
        inv = inverse_enclosure(Ball(M))
        if inv is not None:
            exact = arb_mat(_arb(M).tolist()).inv()
            assert _contains(inv, np.array(exact.entries()).reshape(n, n))


def test_cholesky_bound_needs_the_factorisation_residual():
    """Float matrices with a certainly negative determinant (arb) whose floating-point Cholesky
    factorisation of M - c I nevertheless succeeds: only the enclosed residual L L^T - (M - c I)
    stops a wrong "positive definite"."""
    from expfam_nash.certify.linalg import _cholesky_bound, symmetric_part

    tested = 0
    for seed in range(400):
        rng = np.random.default_rng(seed)
        Q, _ = np.linalg.qr(rng.standard_normal((4, 4)))
        M = (Q * np.array([-3e-17, 1.0, 2.0, 3.0])) @ Q.T
        M = np.triu(M) + np.triu(M, 1).T
        try:
            np.linalg.cholesky(M - 1e-17 * np.eye(4))
        except np.linalg.LinAlgError:
            continue
        if not arb_mat(_arb(M).tolist()).det() < 0:
            continue
        tested += 1
        assert not _cholesky_bound(symmetric_part(Ball(M)), 1e-17 / 0.99, "ball") > 0
        if tested == 3:
            break
    assert tested == 3                                          # the premise held: the test tested something
