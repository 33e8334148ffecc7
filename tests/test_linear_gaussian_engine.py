"""Tests of the closed-form linear-Gaussian engine against finite differences, Monte Carlo and
hand-derived 1-D equilibria."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from expfam_nash.game.linear_gaussian import LinearGaussianEngine

VAR_MODES = [(0.7, 1.3), (None, 0.6), (0.9, None), (None, None)]  # fixed, half-learned (x2), learned


def random_params(rng: np.random.Generator, shape: tuple[int, int], mask: np.ndarray, learned: bool,
                  scale: float = 0.7) -> np.ndarray:
    """Random in-domain params: normal free entries; learned second block in [-2, -0.3]."""
    par = np.where(mask, scale * rng.normal(size=shape), 0.0)
    if learned:
        n = shape[0] // 2
        par[n:, -1] = -rng.uniform(0.3, 2.0, size=n)
    return par


def random_engine(rng: np.random.Generator, d: int, k: int, s: float | None, t: float | None,
                  alpha: float, rho: float) -> LinearGaussianEngine:
    """Random data/prior moments; labelled joint from x ~ N(mx, Sx), z = A x + a0 + N(0, D)."""
    B = rng.normal(size=(d, d))
    data_cov = B @ B.T / d + 0.1 * np.eye(d)
    Bz = rng.normal(size=(k, k))
    prior_cov = Bz @ Bz.T / k + 0.2 * np.eye(k)
    lab = {}
    if alpha > 0:
        mx, A, a0 = rng.normal(size=d), rng.normal(size=(k, d)), rng.normal(size=k)
        Bx = rng.normal(size=(d, d))
        Sx = Bx @ Bx.T / d + 0.1 * np.eye(d)
        D = np.diag(rng.uniform(0.2, 1.0, size=k))
        lab = dict(labeled_mean=np.concatenate([mx, A @ mx + a0]),
                   labeled_cov=np.block([[Sx, Sx @ A.T], [A @ Sx, A @ Sx @ A.T + D]]))
    return LinearGaussianEngine(d, k, s, t, rng.normal(size=d), data_cov, rng.normal(size=k), prior_cov,
                                alpha=alpha, rho=rho, **lab)


def setup(seed: int, d: int, k: int, s, t, alpha: float, rho: float):
    rng = np.random.default_rng(seed)
    eng = random_engine(rng, d, k, s, t, alpha, rho)
    theta = random_params(rng, eng.theta_shape, eng.theta_mask, s is None)
    phi = random_params(rng, eng.phi_shape, eng.phi_mask, t is None)
    return eng, theta, phi


def unflatten(eng: LinearGaussianEngine, vec: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    theta, phi = np.zeros(eng.theta_shape), np.zeros(eng.phi_shape)
    p = int(eng.theta_mask.sum())
    theta[eng.theta_mask], phi[eng.phi_mask] = vec[:p], vec[p:]
    return theta, phi


def flat_gradient(eng: LinearGaussianEngine, vec: np.ndarray) -> np.ndarray:
    gt, gp = eng.gradient(*unflatten(eng, vec))
    return np.concatenate([gt[eng.theta_mask], gp[eng.phi_mask]])


config = dict(seed=st.integers(0, 2**32 - 1), d=st.integers(1, 3), k=st.integers(1, 2),
              alpha=st.sampled_from([0.0, 0.3]), rho=st.sampled_from([0.0, 0.5]))


@pytest.mark.parametrize("s, t", VAR_MODES)
@settings(deadline=None, derandomize=True, max_examples=30)
@given(**config)
def test_gradient_matches_finite_differences(s, t, seed, d, k, alpha, rho):
    eng, theta, phi = setup(seed, d, k, s, t, alpha, rho)
    g_theta, g_phi = eng.gradient(theta, phi)
    assert np.all(g_theta[~eng.theta_mask] == 0) and np.all(g_phi[~eng.phi_mask] == 0)
    h = 1e-5
    for player, par, grad, mask in [(0, theta, g_theta, eng.theta_mask), (1, phi, g_phi, eng.phi_mask)]:
        for idx in zip(*np.nonzero(mask)):
            plus, minus = par.copy(), par.copy()
            plus[idx] += h
            minus[idx] -= h
            args_p = (plus, phi) if player == 0 else (theta, plus)
            args_m = (minus, phi) if player == 0 else (theta, minus)
            fd = (eng.utilities(*args_p)[player] - eng.utilities(*args_m)[player]) / (2 * h)
            assert fd == pytest.approx(grad[idx], rel=1e-6, abs=1e-6)


@pytest.mark.parametrize("s, t", VAR_MODES)
@settings(deadline=None, derandomize=True, max_examples=30)
@given(**config)
def test_jacobian_matches_finite_differences(s, t, seed, d, k, alpha, rho):
    eng, theta, phi = setup(seed, d, k, s, t, alpha, rho)
    J = eng.jacobian(theta, phi)
    vec = np.concatenate([theta[eng.theta_mask], phi[eng.phi_mask]])
    h = 1e-6
    J_fd = np.column_stack([(flat_gradient(eng, vec + h * e) - flat_gradient(eng, vec - h * e)) / (2 * h)
                            for e in np.eye(vec.size)])
    np.testing.assert_allclose(J, J_fd, rtol=1e-5, atol=1e-5 * max(1.0, np.abs(J).max()))
    p = int(eng.theta_mask.sum())
    H_p, H_q = eng.own_hessians(theta, phi)
    np.testing.assert_array_equal(H_p, J[:p, :p])
    np.testing.assert_array_equal(H_q, J[p:, p:])
    # own Hessians are negative semi-definite (concavity in own parameters)
    assert np.linalg.eigvalsh(H_p).max() <= 1e-10 * max(1.0, np.abs(H_p).max())
    assert np.linalg.eigvalsh(H_q).max() <= 1e-10 * max(1.0, np.abs(H_q).max())


# ---------------------------------------------------------------- Monte Carlo

def sample_channel(rng, par: np.ndarray, var: float | None, u: np.ndarray) -> np.ndarray:
    """Sample y | u from a player with params par and features (u, 1), in mean/variance form."""
    mean, v = conditional(par, var, u)
    return mean + np.sqrt(v) * rng.normal(size=mean.shape)


def conditional(par: np.ndarray, var: float | None, u: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    f = np.column_stack([u, np.ones(len(u))])
    if var is not None:
        return f @ par.T, np.full(par.shape[0], var)
    n = par.shape[0] // 2
    v = -1.0 / (2.0 * par[n:, -1])
    return (f @ par[:n].T) * v, v


def per_sample(par: np.ndarray, var: float | None, rho: float, y: np.ndarray, u: np.ndarray):
    """Per-sample log N(y; mean, v) and pseudo-gradient (T(y) - mu) f^T - rho par_nonconst."""
    mean, v = conditional(par, var, u)
    f = np.column_stack([u, np.ones(len(u))])
    logp = np.sum(-0.5 * (y - mean) ** 2 / v - 0.5 * np.log(2 * np.pi * v), axis=1)
    if var is not None:
        g = np.einsum("na,nc->nac", (y - mean) / var, f)
    else:
        n = par.shape[0] // 2
        g = np.zeros((len(y),) + par.shape)
        g[:, :n] = np.einsum("na,nc->nac", y - mean, f)
        g[:, n:, -1] = y**2 - mean**2 - v
    penalty = np.zeros(par.shape)
    penalty[:, :-1] = rho * par[:, :-1]
    return logp - 0.5 * rho * np.sum(par[:, :-1] ** 2), g - penalty


def standardised_uniform(rng, size) -> np.ndarray:
    return rng.uniform(-np.sqrt(3.0), np.sqrt(3.0), size=size)


@pytest.mark.parametrize("s, t, alpha, rho", [(0.8, 1.3, 0.3, 0.5), (None, None, 0.0, 0.0)])
def test_utilities_and_gradients_match_monte_carlo(s, t, alpha, rho):
    """Non-Gaussian (uniform) data and prior: the closed form needs only their second moments."""
    d, k, N = 2, 2, 400_000
    rng = np.random.default_rng(12345)
    data_mean, prior_mean = np.array([0.5, -1.0]), np.array([0.3, 0.0])
    Ld, Lz = np.array([[1.2, 0.0], [0.5, 0.7]]), np.array([[0.9, 0.0], [-0.3, 1.1]])
    lab = {}
    if alpha > 0:
        lab = dict(labeled_mean=np.array([0.2, 0.1, -0.4, 0.6]),
                   labeled_cov=np.array([[1.0, 0.3, 0.5, 0.0], [0.3, 0.8, 0.1, 0.2],
                                         [0.5, 0.1, 0.9, 0.1], [0.0, 0.2, 0.1, 0.7]]))
    eng = LinearGaussianEngine(d, k, s, t, data_mean, Ld @ Ld.T, prior_mean, Lz @ Lz.T,
                               alpha=alpha, rho=rho, **lab)
    theta = random_params(rng, eng.theta_shape, eng.theta_mask, s is None)
    phi = random_params(rng, eng.phi_shape, eng.phi_mask, t is None)

    x = data_mean + standardised_uniform(rng, (N, d)) @ Ld.T
    z = sample_channel(rng, phi, t, x)
    parts_p = [per_sample(theta, s, rho, x, z)]
    zp = prior_mean + standardised_uniform(rng, (N, k)) @ Lz.T
    xp = sample_channel(rng, theta, s, zp)
    parts_q = [per_sample(phi, t, rho, zp, xp)]
    weights = [1.0 - alpha]
    if alpha > 0:
        xz = rng.multivariate_normal(lab["labeled_mean"], lab["labeled_cov"], size=N)
        parts_p.append(per_sample(theta, s, rho, xz[:, :d], xz[:, d:]))
        parts_q.append(per_sample(phi, t, rho, xz[:, d:], xz[:, :d]))
        weights.append(alpha)

    exact_u, exact_g = eng.utilities(theta, phi), eng.gradient(theta, phi)
    for player, parts in enumerate([parts_p, parts_q]):
        for j, exact in enumerate([exact_u[player], exact_g[player]]):
            est = sum(w * part[j].mean(axis=0) for w, part in zip(weights, parts))
            se = np.sqrt(sum(w**2 * part[j].var(axis=0) / N for w, part in zip(weights, parts)))
            assert np.all(np.abs(est - exact) <= 5 * se + 1e-12), (player, j, est, exact, se)


def expected_loglik(par: np.ndarray, var: float | None, y: np.ndarray, u_mean: np.ndarray,
                    u_var: np.ndarray) -> np.ndarray:
    """Per-sample E_{u ~ N(u_mean, diag(u_var))} log p(y | u), integrating u out by hand:
    E (y_a - G_a (u,1))^2 = (y_a - G_a (u_mean,1))^2 + sum_j G_aj^2 u_var_j."""
    mean, v = conditional(par, var, u_mean)
    G = conditional(par, var, np.eye(u_mean.shape[1]))[0] - conditional(par, var, np.zeros((1, u_mean.shape[1])))[0]
    sq = (y - mean) ** 2 + (G.T**2 @ u_var)
    return np.sum(-0.5 * sq / v - 0.5 * np.log(2 * np.pi * v), axis=1)


@pytest.mark.parametrize("s, t", VAR_MODES)
def test_empirical_distributions_enter_exactly_through_biased_moments(s, t):
    rng = np.random.default_rng(7)
    X, Z = rng.normal(size=(7, 2)) ** 3, rng.exponential(size=(5, 2))
    eng = LinearGaussianEngine(2, 2, s, t, X.mean(0), np.cov(X.T, bias=True), Z.mean(0), np.cov(Z.T, bias=True))
    theta = random_params(rng, eng.theta_shape, eng.theta_mask, s is None)
    phi = random_params(rng, eng.phi_shape, eng.phi_mask, t is None)
    L_p = np.mean(expected_loglik(theta, s, X, *conditional(phi, t, X)))
    L_q = np.mean(expected_loglik(phi, t, Z, *conditional(theta, s, Z)))
    np.testing.assert_allclose(eng.utilities(theta, phi), (L_p, L_q), rtol=1e-12)


# ---------------------------------------------------------------- 1-D ground truth

def params_1d(w: float, b: float, s: float, s_learned: bool, v: float, c: float, t: float, t_learned: bool):
    """Natural parameters of decoder N(w z + b, s) and encoder N(v x + c, t) (natural = mean / var)."""
    theta = np.array([[w / s, b / s], [0.0, -0.5 / s]]) if s_learned else np.array([[w, b]])
    phi = np.array([[v / t, c / t], [0.0, -0.5 / t]]) if t_learned else np.array([[v, c]])
    return theta, phi


def engine_1d(lam: float, s: float | None, t: float | None) -> LinearGaussianEngine:
    return LinearGaussianEngine(1, 1, s, t, [0.0], [[lam]])


FIXED_1D = [(3.0, 1.0, 1.0), (0.5, 2.0, 0.4), (2.0, 0.5, 1.5), (10.0, 0.3, 3.0)]  # (lam, s, t)


@pytest.mark.parametrize("lam, s, t", FIXED_1D)
def test_1d_best_responses_and_nontrivial_equilibrium(lam, s, t):
    """1-D fixed variances: x ~ (0, lam), z ~ N(0, 1), p = N(w z + b, s), q = N(v x + c, t).

    Decoder best response (least squares of x on z under z = v x + c + N(0, t), c = 0):
        E[z^2] = v^2 lam + t, E[xz] = v lam  =>  w = E[xz] / E[z^2] = v lam / (v^2 lam + t), b = 0.
    Encoder best response (least squares of z on x under x = w z + N(0, s)):
        E[x^2] = w^2 + s, E[xz] = w  =>  v = w / (w^2 + s), c = 0.
    Equilibrium with w != 0: substitute v, multiply by (w^2 + s)^2 / w:
        w^2 lam + t (w^2 + s)^2 = lam (w^2 + s)  =>  t (w^2 + s)^2 = lam s
        =>  w^2 = sqrt(s lam / t) - s,   v = w / (w^2 + s) = w sqrt(t / (s lam)),
    which exists iff lam > s t. The collapsed point w = v = b = c = 0 is always an equilibrium.
    Jacobian of the nontrivial point in (w, v), with u = w^2 + s (biases decouple):
        [[-t u / s^2, lam (1 - 2 w^2/u) / s], [(1 - 2 w^2/u) / t, -u / t]],
    trace < 0, det = lam / (s t) (1 - (1 - 2 w^2/u)^2) > 0: the nontrivial point is stable.
    """
    eng = engine_1d(lam, s, t)
    for v in (0.0, 0.4, -1.3):  # decoder best response to an encoder
        theta, phi = params_1d(v * lam / (v**2 * lam + t), 0.0, s, False, v, 0.0, t, False)
        np.testing.assert_allclose(eng.gradient(theta, phi)[0], 0.0, atol=1e-12)
    for w in (0.0, 0.8, -2.1):  # encoder best response to a decoder
        theta, phi = params_1d(w, 0.0, s, False, w / (w**2 + s), 0.0, t, False)
        np.testing.assert_allclose(eng.gradient(theta, phi)[1], 0.0, atol=1e-12)
    collapsed = params_1d(0.0, 0.0, s, False, 0.0, 0.0, t, False)
    for g in eng.gradient(*collapsed):
        np.testing.assert_array_equal(g, 0.0)
    if lam > s * t:
        w = np.sqrt(np.sqrt(s * lam / t) - s)
        for sign in (1.0, -1.0):  # z -> -z symmetry
            theta, phi = params_1d(sign * w, 0.0, s, False, sign * w / (w**2 + s), 0.0, t, False)
            for g in eng.gradient(theta, phi):
                np.testing.assert_allclose(g, 0.0, atol=1e-12)
            assert np.linalg.eigvals(eng.jacobian(theta, phi)).real.max() < 0


@pytest.mark.parametrize("s, t", [(1.0, 1.0), (2.0, 0.4), (0.5, 1.5)])
def test_1d_collapsed_point_loses_stability_at_lam_equal_st(s, t):
    """At the collapsed point, in (w, v): J = [[-t/s, lam/s], [1/t, -s/t]] (biases: -1/s, -1/t).
    trace < 0 and det = 1 - lam / (s t): stable iff lam < s t, a saddle iff lam > s t."""
    collapsed = params_1d(0.0, 0.0, s, False, 0.0, 0.0, t, False)
    for lam, sign in ((0.9 * s * t, -1), (1.1 * s * t, 1)):
        J = engine_1d(lam, s, t).jacobian(*collapsed)  # order: w, b, v, c
        np.testing.assert_allclose(J[np.ix_([0, 2], [0, 2])], [[-t / s, lam / s], [1 / t, -s / t]], atol=1e-14)
        assert np.sign(np.linalg.eigvals(J).real.max()) == sign


LAM = 3.0


@pytest.mark.parametrize("t", [0.3, 0.8])
def test_1d_decoder_variance_learned(t):
    """Learned s, fixed t: s = E[x^2] - E[xz]^2/E[z^2] = lam t / (v^2 lam + t); with the fixed-variance
    condition (w^2 + s)^2 = lam s / t this gives w^2 + s = lam, so s = lam t, w^2 = lam (1 - t), v = w/lam.
    Nontrivial iff t < 1 (the prior variance), whatever lam; then the collapsed point (s = lam) is a saddle."""
    eng = engine_1d(LAM, None, t)
    w = np.sqrt(LAM * (1 - t))
    point = params_1d(w, 0.0, LAM * t, True, w / LAM, 0.0, t, False)
    collapsed = params_1d(0.0, 0.0, LAM, True, 0.0, 0.0, t, False)
    for g in eng.gradient(*point) + eng.gradient(*collapsed):
        np.testing.assert_allclose(g, 0.0, atol=1e-12)
    assert np.linalg.eigvals(eng.jacobian(*point)).real.max() < 0
    assert np.linalg.eigvals(eng.jacobian(*collapsed)).real.max() > 0
    assert np.linalg.eigvals(engine_1d(LAM, None, 1.2).jacobian(*params_1d(0, 0, LAM, True, 0, 0, 1.2, False))).real.max() < 0


@pytest.mark.parametrize("s", [1.0, 2.5])
def test_1d_encoder_variance_learned(s):
    """Learned t, fixed s: t = 1 - w^2/(w^2 + s) = s/(w^2 + s); with (w^2 + s)^2 = lam s / t this gives
    w^2 = lam - s, t = s/lam, v = w/lam (probabilistic-PCA threshold lam > s); collapsed point t = 1."""
    eng = engine_1d(LAM, s, None)
    w = np.sqrt(LAM - s)
    point = params_1d(w, 0.0, s, False, w / LAM, 0.0, s / LAM, True)
    collapsed = params_1d(0.0, 0.0, s, False, 0.0, 0.0, 1.0, True)
    for g in eng.gradient(*point) + eng.gradient(*collapsed):
        np.testing.assert_allclose(g, 0.0, atol=1e-12)
    assert np.linalg.eigvals(eng.jacobian(*point)).real.max() < 0
    assert np.linalg.eigvals(eng.jacobian(*collapsed)).real.max() > 0


@pytest.mark.parametrize("s", [0.5, 1.5, LAM])
def test_1d_both_variances_learned_give_a_continuum(s):
    """Both learned: t = s/(w^2 + s) and s = lam t/(v^2 lam + t) combine to w^2 + s = lam, t = s/lam,
    v = w/lam: a one-parameter family of equilibria (s in (0, lam], s = lam collapsed), so J has an
    exact zero eigenvalue not explained by the z -> -z symmetry."""
    eng = engine_1d(LAM, None, None)
    w = np.sqrt(LAM - s)
    point = params_1d(w, 0.0, s, True, w / LAM, 0.0, s / LAM, True)
    for g in eng.gradient(*point):
        np.testing.assert_allclose(g, 0.0, atol=1e-12)
    eig = np.linalg.eigvals(eng.jacobian(*point))
    assert np.min(np.abs(eig)) < 1e-10
    assert np.sort(eig.real)[-2] < 0


# ---------------------------------------------------------------- validation

def test_validation_errors_name_the_argument():
    ok = dict(data_dim=2, latent_dim=1, decoder_var=1.0, encoder_var=None, data_mean=np.zeros(2),
              data_cov=np.eye(2))
    bad = [("data_cov", np.array([[1.0, 0.5], [0.0, 1.0]])), ("data_cov", np.diag([1.0, -1.0])),
           ("data_mean", np.zeros(3)), ("data_mean", [np.nan, 0.0]), ("decoder_var", 0.0),
           ("encoder_var", np.inf), ("alpha", 1.5), ("rho", -1.0), ("prior_cov", np.eye(2)),
           ("latent_dim", 0)]
    for name, value in bad:
        with pytest.raises(ValueError, match=name):
            LinearGaussianEngine(**{**ok, name: value})
    with pytest.raises(ValueError, match="labelled"):
        LinearGaussianEngine(**ok, alpha=0.5)
    eng = LinearGaussianEngine(**ok)
    theta, phi = np.zeros(eng.theta_shape), np.zeros(eng.phi_shape)
    phi[1, -1] = -0.5
    assert eng.in_domain(theta, phi)
    for th, ph, name in [(np.zeros((3, 3)), phi, "theta"), (theta, np.zeros(eng.phi_shape), "phi"),
                         (theta, phi * np.nan, "phi"), (theta, phi + np.eye(2, 3), "phi")]:
        assert not eng.in_domain(th, ph)
        for method in (eng.utilities, eng.gradient, eng.jacobian, eng.own_hessians):
            with pytest.raises(ValueError, match=name):
                method(th, ph)
