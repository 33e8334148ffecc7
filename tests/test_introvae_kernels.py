"""The fused mixture kernels of ``expfam_nash.introvae.kernels`` against their NumPy references
(float64: relative 1e-12; float32 work dtype: relative 2e-6 of each output's scale), the
references' gradients against finite differences, the float32 exp in ulps, and two exact facts:
the Monte Carlo KL of a component against itself is 0 draw by draw, and its mean over many draws
is the closed-form Gaussian KL.
"""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from expfam_nash.introvae import kernels as KK
from expfam_nash.introvae import objectives as O
from expfam_nash.introvae import priors as P
from expfam_nash.introvae.fastexp import exp32


def rel_err(a, b):
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    return np.abs(a - b).max(initial=0.0) / max(np.abs(b).max(initial=0.0), 1e-300)


def mixture(rng, K, d, spread=1.0):
    means = spread * rng.standard_normal((K, d))
    lvs = 0.5 * rng.standard_normal((K, d)) - 0.5
    return means, lvs, np.log(rng.dirichlet(np.ones(K)))


def run_kl(mu, lv, eps, comp, w, dtype, lv_floor=-np.inf):
    B, d = mu.shape
    K = comp[0].shape[0]
    out = [np.empty(B), np.empty((B, d)), np.empty((B, d)), np.empty((d, K)), np.empty((d, K)), np.empty(K), np.empty(K)]
    KK.mixture_mc_kl(mu.astype(dtype), lv.astype(dtype), eps.astype(dtype), lv_floor,
                     *KK.mixture_tables(*comp, dtype), w, True, True, True, *out)
    out[3], out[4] = out[3].T, out[4].T
    return out


def test_exp32_within_two_ulp_and_its_edges():
    x = np.concatenate([-np.geomspace(1e-8, 87.0, 200001), np.linspace(-87, 0, 100001)]).astype(np.float32)
    got = exp32(x).astype(np.float64)
    ref = np.exp(x.astype(np.float64))
    ulp = np.spacing(ref.astype(np.float32)).astype(np.float64)
    assert np.abs(got - ref).max() / 1 <= (2 * ulp).max()
    assert (np.abs(got - ref) <= 2 * ulp).all()
    edge = exp32(np.array([-87.5, -1e4, 0.0, np.nan], np.float32))
    assert edge[0] == 0 and edge[1] == 0 and edge[2] == 1 and np.isnan(edge[3])


@given(K=st.integers(1, 6), d=st.integers(1, 3), B=st.integers(1, 4), M=st.integers(1, 70),
       shared=st.booleans(), seed=st.integers(0, 2 ** 16))
def test_mc_kl_equals_reference(K, d, B, M, shared, seed):
    """All outputs, M across the 64-lane block boundary, per-row or shared draws."""
    rng = np.random.default_rng(seed)
    comp = mixture(rng, K, d)
    mu, lv = rng.standard_normal((B, d)), 0.4 * rng.standard_normal((B, d))
    eps = rng.standard_normal((1 if shared else B, M, d))
    w = rng.random(B)
    got = run_kl(mu, lv, eps, comp, w, np.float64)
    ref = KK.mixture_mc_kl_reference(mu, lv, eps, *comp, w)
    for g, r in zip(got, ref, strict=True):
        assert rel_err(g, r) <= 1e-12


def test_mc_kl_float32_work_dtype_within_float32_rounding():
    rng = np.random.default_rng(3)
    comp = mixture(rng, 64, 2)
    B, M = 40, 100
    mu, lv = rng.standard_normal((B, 2)).astype(np.float32), (0.3 * rng.standard_normal((B, 2)) - 1).astype(np.float32)
    eps = rng.standard_normal((B, M, 2)).astype(np.float32)
    w = np.full(B, 1.0 / B)
    got = run_kl(mu, lv, eps, comp, w, np.float32)
    ref = KK.mixture_mc_kl_reference(mu, lv, eps, *comp, w)
    for g, r in zip(got, ref, strict=True):
        assert rel_err(g, r) <= 2e-6


def test_mc_kl_of_a_component_against_itself_is_zero_and_the_floor_is_inert_above_it():
    rng = np.random.default_rng(0)
    mean, lv = rng.standard_normal((1, 2)), rng.standard_normal((1, 2))
    eps = rng.standard_normal((1, 50, 2))
    kl = run_kl(mean, lv, eps, (mean, lv, np.zeros(1)), np.ones(1), np.float64)[0]
    assert abs(kl[0]) <= 1e-13
    floored = run_kl(mean, lv, eps, (mean, lv, np.zeros(1)), np.ones(1), np.float64, lv_floor=-80.0)[0]
    assert floored[0] == kl[0]
    # below the floor, log q uses the floored variance (the reference's evaluation clamp)
    tiny = run_kl(mean, np.full((1, 2), -90.0), eps, (mean, lv, np.zeros(1)), np.ones(1), np.float64, lv_floor=-80.0)
    ref = KK.mixture_mc_kl_reference(mean, np.full((1, 2), -90.0), eps, mean, lv, np.zeros(1), np.ones(1))[0]
    expected = ref + np.mean(np.sum(-0.5 * (-80 + 90) - 0.5 * eps[0] ** 2 * (np.exp(-10.0) - 1), 1))
    assert tiny[0][0] == pytest.approx(expected[0], rel=1e-12)


def test_mc_kl_mean_is_the_closed_form_gaussian_kl():
    rng = np.random.default_rng(1)
    m0, l0, m1, l1 = rng.standard_normal(2), rng.standard_normal(2), rng.standard_normal(2), rng.standard_normal(2)
    exact = 0.5 * np.sum(l1 - l0 + (np.exp(l0) + (m0 - m1) ** 2) / np.exp(l1) - 1)
    B, M = 400, 100
    eps = rng.standard_normal((B, M, 2))
    kl = run_kl(np.tile(m0, (B, 1)), np.tile(l0, (B, 1)), eps, (m1[None], l1[None], np.zeros(1)), np.ones(B),
                np.float64)[0]
    assert abs(kl.mean() - exact) <= 5 * kl.std() / np.sqrt(B)


def fd(f, x, h=1e-6):
    g = np.empty(x.size)
    for i in range(x.size):
        xp, xm = x.copy(), x.copy()
        xp.flat[i] += h
        xm.flat[i] -= h
        g[i] = (f(xp) - f(xm)) / (2 * h)
    return g.reshape(x.shape)


def test_reference_kl_gradients_match_finite_differences():
    """The references the kernels are compared with are themselves the derivatives of the KL."""
    rng = np.random.default_rng(2)
    K, d, B, M = 3, 2, 3, 5
    means, lvs, lw = mixture(rng, K, d)
    mu, lv = rng.standard_normal((B, d)), 0.3 * rng.standard_normal((B, d))
    eps, w = rng.standard_normal((B, M, d)), rng.random(B)
    _, g_mu, g_lv, gm, gl, gw, _ = KK.mixture_mc_kl_reference(mu, lv, eps, means, lvs, lw, w)
    kl = lambda a, b, c, e, f: KK.mixture_mc_kl_reference(a, b, eps, c, e, f, w)[0]  # noqa: E731
    tot = lambda a, b, c, e, f: float(w @ kl(a, b, c, e, f))                          # noqa: E731
    assert rel_err(g_mu, fd(lambda t: kl(t, lv, means, lvs, lw).sum(), mu)) <= 1e-7
    assert rel_err(g_lv, fd(lambda t: kl(mu, t, means, lvs, lw).sum(), lv)) <= 1e-7
    assert rel_err(gm, fd(lambda t: tot(mu, lv, t, lvs, lw), means)) <= 1e-7
    assert rel_err(gl, fd(lambda t: tot(mu, lv, means, t, lw), lvs)) <= 1e-7
    assert rel_err(gw, fd(lambda t: tot(mu, lv, means, lvs, t), lw)) <= 1e-7


@pytest.mark.parametrize("dtype, tol", [(np.float64, 1e-12), (np.float32, 2e-6)])
def test_logpdf_kernel_equals_reference(dtype, tol):
    rng = np.random.default_rng(4)
    comp = mixture(rng, 7, 2)
    z = 2 * rng.standard_normal((200, 2))
    w = rng.random(200)
    n, d, K = 200, 2, 7
    logp, score, gm, gl, gw = np.empty(n), np.empty((n, d)), np.empty((d, K)), np.empty((d, K)), np.empty(K)
    KK.mixture_logpdf(z.astype(dtype), *KK.mixture_tables(*comp, dtype), w, True, True, logp, score, gm, gl, gw)
    r_logp, r_score, r_mu, r_lv, r_w = KK.mixture_logpdf_reference(z.astype(dtype), *comp)
    assert rel_err(logp, r_logp) <= tol and rel_err(score, r_score) <= tol
    assert rel_err(gm.T, (w[:, None, None] * r_mu).sum(0)) <= tol
    assert rel_err(gl.T, (w[:, None, None] * r_lv).sum(0)) <= tol
    assert rel_err(gw, (w[:, None] * r_w).sum(0)) <= tol


@pytest.mark.parametrize("dtype, tol", [(np.float64, 1e-11), (np.float32, 5e-6)])
def test_responsibility_gradient_kernel_and_finite_differences(dtype, tol):
    rng = np.random.default_rng(5)
    K, d, B, M = 4, 2, 3, 70
    comp = mixture(rng, K, d, spread=0.7)
    mu, lv = rng.standard_normal((B, d)), 0.3 * rng.standard_normal((B, d)) - 0.5
    eps, c = rng.standard_normal((B, M, d)), rng.standard_normal(K)
    g_mu, g_lv = np.zeros((B, d)), np.zeros((B, d))
    KK.responsibility_grad(mu.astype(dtype), lv.astype(dtype), eps.astype(dtype), *KK.mixture_tables(*comp, dtype), c,
                           g_mu, g_lv)
    r_mu, r_lv = KK.responsibility_grad_reference(mu.astype(dtype), lv.astype(dtype), eps.astype(dtype), *comp, c)
    assert rel_err(g_mu, r_mu) <= tol and rel_err(g_lv, r_lv) <= tol
    if dtype is np.float64:
        obj = lambda a, b: float(c @ KK.mixture_mc_kl_reference(a, b, eps, *comp, np.zeros(B))[-1])  # noqa: E731
        assert rel_err(r_mu, fd(lambda t: obj(t, lv), mu)) <= 1e-6
        assert rel_err(r_lv, fd(lambda t: obj(mu, t), lv)) <= 1e-6


def test_neg_entropy_and_its_derivative():
    r = np.array([0.5, 0.25, 0.245, 0.005])
    val, grad = O.neg_entropy(r)
    assert val == pytest.approx(np.sum(r * np.log(r + 1e-8)) / np.log(4), rel=1e-14)
    assert rel_err(grad, fd(lambda t: O.neg_entropy(t)[0], r)) <= 1e-6
    assert O.neg_entropy(np.full(64, 1 / 64))[0] == pytest.approx(-1.0, abs=1e-6)   # uniform: -1 after log K (+ the 1e-8 shift)
    assert O.neg_entropy(np.array([1.0, 0.0]))[0] == pytest.approx(0.0, abs=1e-7)    # K = 2: not divided


def test_clipping_stays_inside_the_bounds_is_monotone_and_its_slope_is_the_derivative():
    lo, hi = np.array([-2.0, -1.0]), np.array([0.5, -1.0])          # second dimension: m = M
    lv = np.linspace(-8, 6, 401)[:, None].repeat(2, 1)
    out, slope = P.clip_logvar(lv, lo, hi)
    assert (out[:, 0] > lo[0]).all() and (out[:, 0] < hi[0]).all()
    assert (np.diff(out[:, 0]) > 0).all() and (slope[:, 0] > 0).all()
    assert (out[:, 1] == -1.0).all() and (slope[:, 1] == 0).all()
    assert rel_err(slope[:, 0], fd(lambda t: P.clip_logvar(t[:, None].repeat(2, 1), lo, hi)[0][:, 0].sum(), lv[:, 0])) <= 1e-6
    mid = np.array([[-0.75, -1.0]])                                   # well inside: nearly the identity
    assert abs(P.clip_logvar(mid, lo, hi)[0][0, 0] + 0.75) < 1e-4


def test_prior_sampling_gradient_matches_finite_differences():
    rng = np.random.default_rng(6)
    means, lvs, lw = mixture(rng, 4, 2)
    pv = P.PriorView(means, lvs, lw, KK.mixture_tables(means, lvs, lw))
    z, idx, eps = P.sample(pv, 50, np.random.default_rng(7))
    G = rng.standard_normal(z.shape)
    g_mu, g_lv = P.sample_grad(pv, idx, eps, G)
    f = lambda m, v: float(np.sum(G * (m[idx] + np.exp(0.5 * v[idx]) * eps)))   # noqa: E731
    assert rel_err(g_mu, fd(lambda t: f(t, lvs), means)) <= 1e-7
    assert rel_err(g_lv, fd(lambda t: f(means, t), lvs)) <= 1e-7
