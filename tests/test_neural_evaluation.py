"""Evaluation of the neural VAEs: exact and importance-sampled likelihoods, reconstructions, latent
activity, the reconstruction chain's limiting distribution, TV and MMD, and ``evaluate``."""
import json
import math
from types import SimpleNamespace

import numpy as np
import pytest
from scipy.special import logsumexp

from expfam_nash import neural as nn
from expfam_nash.environment import Finite
from expfam_nash.families import binary_support
from expfam_nash.neural import evaluation as E
from expfam_nash.neural.hierarchical import HierarchicalVAE

X4 = binary_support(4)


def _params(model, seed=0):
    return nn.learning.init(model, seed, dtype=np.float64).params


@pytest.fixture(scope="module")
def small():
    model = nn.VAE(4, nn.priors.UniformBits(3), hidden=(8,))
    return model, _params(model)


def _brute_log_marginal(model, params, x):
    z = np.asarray(model.enumerate_latents(), dtype=np.float64)
    return np.array([logsumexp(model.log_joint(params, np.repeat(xi[None], len(z), 0), z)) for xi in x])


def _implicit_bits(k):
    return nn.priors.Implicit(k, lambda n, rng: (rng.random((n, k)) < 0.5).astype(float), support="binary")


# -- exact likelihood ----------------------------------------------------------------------
def test_exact_likelihood_matches_brute_force_and_normalises(small):
    model, params = small
    ex = E.log_likelihood_exact(model, params, X4)
    assert ex.method == "exact" and ex.n == 16 and ex.per_image.shape == (16,)
    np.testing.assert_allclose(ex.per_image, _brute_log_marginal(model, params, X4), atol=1e-12)
    assert abs(logsumexp(ex.per_image)) < 1e-12            # sum over all 2^d images of p(x) = 1
    assert ex.mean == pytest.approx(ex.per_image.mean())
    assert ex.se == pytest.approx(ex.per_image.std(ddof=1) / 4)
    # float32 parameters are evaluated in float64: same numbers up to the cast of the weights
    p32 = {k: v.astype(np.float32) for k, v in params.items()}
    np.testing.assert_allclose(E.log_likelihood_exact(model, p32, X4).per_image, ex.per_image, atol=1e-5)


@pytest.mark.parametrize("prior, kind", [
    (nn.priors.UniformBits(3), "gaussian"), (nn.priors.UniformBits(3), "gaussian-learned"),
    (nn.priors.Product((nn.priors.UniformClasses(3), nn.priors.UniformBits(2))), "bernoulli")])
def test_exact_likelihood_other_heads(prior, kind):
    model = nn.VAE(4, prior, hidden=(8,), data_kind=kind, data_variance=0.5)
    params = _params(model, 1)
    x = X4 if kind == "bernoulli" else np.random.default_rng(0).normal(size=(7, 4))
    ex = E.log_likelihood_exact(model, params, x)
    np.testing.assert_allclose(ex.per_image, _brute_log_marginal(model, params, x), atol=1e-10)


def test_exact_likelihood_generic_path_and_model_method(small):
    model, params = small
    # a model exposing only the interface (no encoder_out / decoder_out): tiled log_joint
    bare = SimpleNamespace(data_dim=4, has_prior_density=True, log_prior=model.log_prior,
                           log_joint=model.log_joint, enumerate_latents=model.enumerate_latents)
    np.testing.assert_allclose(E.log_likelihood_exact(bare, params, X4).per_image,
                               E.log_likelihood_exact(model, params, X4).per_image, atol=1e-12)
    hier = HierarchicalVAE(4, 2, 3, hidden=(8,))
    hp = _params(hier)
    np.testing.assert_allclose(E.log_likelihood_exact(hier, hp, X4).per_image,
                               _brute_log_marginal(hier, hp, X4), atol=1e-10)


def test_blocking_does_not_change_results(small, monkeypatch):
    model, params = small
    bare = SimpleNamespace(data_dim=4, has_prior_density=True, log_prior=model.log_prior, log_joint=model.log_joint,
                           log_q=model.log_q, log_likelihood=model.log_likelihood,
                           enumerate_latents=model.enumerate_latents)
    ref = E.log_likelihood_exact(model, params, X4).per_image
    T = E.transition_matrix(model, params)
    monkeypatch.setattr(E.common, "BLOCK", 7)    # tiny blocks: many configuration and image chunks
    monkeypatch.setattr(E.common, "MODEL_ROWS", 5)
    for m in (model, bare):
        np.testing.assert_allclose(E.log_likelihood_exact(m, params, X4).per_image, ref, atol=1e-12)
        np.testing.assert_allclose(E.transition_matrix(m, params), T, atol=1e-12)


# -- importance sampling -------------------------------------------------------------------
@pytest.mark.parametrize("which", ["vae", "hierarchical"])
def test_importance_sampling_agrees_with_exact(small, which):
    model, params = small if which == "vae" else (HierarchicalVAE(4, 2, 2, hidden=(8,)), None)
    params = params if params is not None else _params(model)
    ex = E.log_likelihood_exact(model, params, X4)
    est = E.log_likelihood_is(model, params, X4, K=4000, seed=3, batch=8000)
    assert est.method == "is" and est.K == 4000 and est.per_image.shape == (16,)
    assert abs(est.mean - ex.mean) < 4 * est.mc_se + 1e-9
    np.testing.assert_allclose(est.per_image, ex.per_image, atol=0.06)
    assert 1 <= est.ess <= 4000 and est.elbo < ex.mean
    # determinism and chunking: the same seed gives the same numbers whatever the batch split
    again = E.log_likelihood_is(model, params, X4, K=4000, seed=3, batch=8000)
    np.testing.assert_array_equal(est.per_image, again.per_image)


def test_importance_sampling_is_a_lower_bound_in_expectation(small):
    model, params = small
    exact = E.log_likelihood_exact(model, params, X4).mean
    means = np.array([E.log_likelihood_is(model, params, X4, K=2, seed=s).mean for s in range(40)])
    assert means.mean() < exact - 3 * means.std(ddof=1) / np.sqrt(means.size)
    one = E.log_likelihood_is(model, params, X4, K=1, seed=0)       # K = 1: the ELBO
    assert one.mean == pytest.approx(one.elbo) and math.isnan(one.mc_se)


def test_importance_sampling_gaussian_latents():
    model = nn.VAE(2, nn.priors.StandardNormal(2), hidden=(8,), data_kind="gaussian")
    params = _params(model)
    x = np.random.default_rng(0).normal(size=(10, 2))
    est = E.log_likelihood_is(model, params, x, K=500, seed=0)
    assert np.all(np.isfinite(est.per_image)) and est.elbo <= est.mean + 1e-9
    with pytest.raises(ValueError, match="not finite"):
        E.log_likelihood_exact(model, params, x)


# -- reconstruction and latent activity ----------------------------------------------------
def test_reconstruction(small):
    model, params = small
    r = E.reconstruction(model, params, X4, seed=0)
    assert r["support"] == "binary" and r["nll"] > 0 and 0 <= r["error_rate"] <= 1 and r["mse"] >= 0
    assert r["nll_per_dim"] == pytest.approx(r["nll"] / 4)
    g = nn.VAE(2, nn.priors.StandardNormal(2), hidden=(8,), data_kind="gaussian-learned")
    rg = E.reconstruction(g, _params(g), np.random.default_rng(1).normal(size=(20, 2)), seed=0)
    assert rg["support"] == "real" and "error_rate" not in rg and rg["mse"] > 0


def test_latent_activity_bernoulli(small):
    model, params = small
    lat = E.latent_activity(model, params, X4, seed=0)
    assert lat["n_units"] == 3 and lat["kind"] == ["bernoulli"] * 3
    assert np.all(lat["mi"] >= 0) and np.all(lat["mi"] <= np.log(2) + 1e-12)
    q = 1 / (1 + np.exp(-model.encoder_out(params, X4)))
    h = lambda p: -(p * np.log(p) + (1 - p) * np.log(1 - p))
    np.testing.assert_allclose(lat["mi"], h(q.mean(0)) - h(q).mean(0), atol=1e-12)
    np.testing.assert_allclose(lat["activity"], q.var(0), atol=1e-12)
    assert lat["n_active"] == int((lat["mi"] > 0.01).sum())
    dead = {**params, "encoder": np.zeros_like(params["encoder"])}     # q(z|x) = 1/2 for every x
    d = E.latent_activity(model, dead, X4, seed=0)
    assert d["n_active"] == 0 and np.all(d["mi"] == 0)


def test_latent_activity_gaussian_categorical_hierarchical():
    g = nn.VAE(2, nn.priors.StandardNormal(2), hidden=(8,), data_kind="gaussian")
    lat = E.latent_activity(g, _params(g), np.random.default_rng(0).normal(size=(50, 2)), seed=0)
    assert lat["kind"] == ["gaussian"] * 2 and np.all(lat["activity"] >= 0) and np.all(lat["mi"] >= 0)
    assert lat["n_active"] == int((lat["activity"] > 0.01).sum())
    c = nn.VAE(4, nn.priors.Product((nn.priors.UniformClasses(3), nn.priors.UniformBits(2))), hidden=(8,))
    lc = E.latent_activity(c, _params(c), X4, seed=0)
    assert lc["kind"] == ["categorical", "bernoulli", "bernoulli"] and 0 <= lc["mi"][0] <= np.log(3)
    h = HierarchicalVAE(4, 2, 3, hidden=(8,))
    lh = E.latent_activity(h, _params(h), X4, seed=0)
    assert lh["n_units"] == 5 and np.all((lh["mi"] >= 0) & (lh["mi"] <= np.log(2) + 1e-12))


# -- reconstruction chain ------------------------------------------------------------------
def test_transition_matrix_and_stationary_distribution(small):
    model, params = small
    T = E.transition_matrix(model, params)
    z = model.enumerate_latents()
    brute = np.zeros((16, 16))
    for a in range(16):
        q = np.exp(model.log_q(params, np.repeat(X4[a:a + 1], 8, 0), z))
        for b in range(16):
            brute[a, b] = q @ np.exp(model.log_likelihood(params, np.repeat(X4[b:b + 1], 8, 0), z))
    np.testing.assert_allclose(T, brute, atol=1e-12)
    np.testing.assert_allclose(T.sum(1), 1, atol=1e-12)
    st = E.stationary(T)
    assert st.converged and st.residual < 1e-10 and 0 < st.spectral_gap <= 1
    assert np.all(st.probs >= 0) and st.probs.sum() == pytest.approx(1)
    np.testing.assert_allclose(st.probs @ T, st.probs, atol=1e-12)
    assert st.second_eigenvalue == pytest.approx(np.sort(np.abs(np.linalg.eigvals(T)))[-2], abs=1e-10)
    np.testing.assert_array_equal(E.limiting_distribution_exact(model, params, X4), st.probs)
    # the generic path (log_q / log_likelihood on tiled pairs) gives the same matrix
    bare = SimpleNamespace(data_dim=4, log_q=model.log_q, log_likelihood=model.log_likelihood,
                           enumerate_latents=model.enumerate_latents)
    np.testing.assert_allclose(E.transition_matrix(bare, params), T, atol=1e-12)
    # a permuted support gives the permuted matrix
    perm = np.random.default_rng(0).permutation(16)
    np.testing.assert_allclose(E.transition_matrix(model, params, X4[perm]), T[np.ix_(perm, perm)], atol=1e-12)


def test_sampled_chain_reaches_the_exact_limit(small):
    model, params = small
    st = E.stationary(E.transition_matrix(model, params))
    steps = max(3, int(np.ceil(np.log(1e-4) / np.log(st.second_eigenvalue))))
    x0 = np.tile(X4[:1], (8000, 1))            # all chains start at the same image
    samples = E.chain_samples(model, params, x0, steps=steps, seed=0)
    assert samples.shape == x0.shape and set(np.unique(samples)) <= {0.0, 1.0}
    emp = np.bincount(E.binary_index(samples), minlength=16) / len(samples)
    floor, sd = E.tv_noise_floor(st.probs, len(samples), seed=1)
    assert E.total_variation(emp, st.probs) < floor + 4 * sd
    np.testing.assert_array_equal(E.chain_samples(model, params, x0[:5], steps=0, seed=0), x0[:5])


def test_hierarchical_chain_limit():
    h = HierarchicalVAE(4, 2, 2, hidden=(8,))
    params = _params(h)
    T = E.transition_matrix(h, params)
    np.testing.assert_allclose(T.sum(1), 1, atol=1e-12)
    bare = SimpleNamespace(data_dim=4, log_q=h.log_q, log_likelihood=h.log_likelihood,
                           enumerate_latents=h.enumerate_latents)
    np.testing.assert_allclose(E.transition_matrix(bare, params), T, atol=1e-12)
    # with an exact marginal and its stationary distribution both available
    pi = E.limiting_distribution_exact(h, params)
    assert pi.sum() == pytest.approx(1) and np.all(pi >= 0)


# -- distances -----------------------------------------------------------------------------
def test_total_variation_helpers():
    p = np.random.default_rng(0).dirichlet(np.ones(16))
    assert E.total_variation(p, p) == 0
    assert E.total_variation([1, 0, 0], [0, 0.5, 0.5]) == pytest.approx(1)
    exact = Finite(X4[[3, 0, 9]], np.array([0.5, 0.3, 0.2]))
    vec = E.on_binary_support(exact)
    assert vec.shape == (16,) and vec[3] == 0.5 and vec[0] == 0.3 and vec[9] == 0.2
    assert E.tv_exact(vec, exact) == 0
    assert E.tv_exact(np.full(16, 1 / 16), exact) == pytest.approx(0.5 * (0.5 - 1 / 16 + 0.3 - 1 / 16
                                                                         + 0.2 - 1 / 16 + 13 / 16))
    perm = np.random.default_rng(1).permutation(16)
    assert E.tv_exact(vec[perm], exact, points=X4[perm]) == 0
    # empirical TV on differing supports, by direct count
    samples = X4[[3, 3, 0, 5]]
    assert E.tv_empirical(samples, exact) == pytest.approx(0.5 * (0 + 0.05 + 0.2 + 0.25))
    assert E.tv_finite(exact, exact) == 0
    with pytest.raises(ValueError, match="p"):
        E.total_variation([0.5, 0.6], [0.5, 0.5])
    with pytest.raises(ValueError, match="same support"):
        E.total_variation([1.0], [0.5, 0.5])


def test_tv_noise_floor_matches_sampled_tv():
    rng = np.random.default_rng(0)
    exact = Finite(X4, rng.dirichlet(np.ones(16)))
    tvs = [E.tv_empirical(exact.sample(500, rng=rng), exact) for _ in range(30)]
    mean, sd = E.tv_noise_floor(exact.weights, 500, reps=400, seed=1)
    assert abs(np.mean(tvs) - mean) < 4 * sd / np.sqrt(30) + 0.005


def test_mmd():
    rng = np.random.default_rng(0)
    a, a2, b = rng.normal(size=(300, 2)), rng.normal(size=(300, 2)), rng.normal(size=(300, 2)) + 1.0
    assert abs(E.mmd(a, a)) < 0.01 and E.mmd(a, a) <= 0      # identical samples: 0 up to O(1/n)
    floor = abs(E.mmd(a, a2))
    shifted = E.mmd(a, b)
    assert shifted > 0.05 and shifted > 10 * floor
    assert E.mmd(a, b, bandwidths=1.0) > 10 * abs(E.mmd(a, a2, bandwidths=1.0))
    # the unbiased statistic, written out
    k = lambda u, v: np.exp(-((u[:, None] - v[None]) ** 2).sum(-1) / 2)
    m = 300
    ref = ((k(a, a).sum() - m) + (k(b, b).sum() - m)) / (m * (m - 1)) - 2 * k(a, b).mean()
    assert E.mmd(a, b, bandwidths=[1.0]) == pytest.approx(ref, rel=1e-10)
    with pytest.raises(ValueError, match="bandwidths"):
        E.mmd(a, b, bandwidths=[-1.0])


# -- errors --------------------------------------------------------------------------------
def test_errors(small):
    model, params = small
    implicit = nn.VAE(4, _implicit_bits(3), hidden=(8,))
    ip = _params(implicit)
    for fn in (E.log_likelihood_exact, E.log_likelihood_is):
        with pytest.raises(ValueError, match="implicit"):
            fn(implicit, ip, X4)
    # the chain needs no prior density: an implicit prior on bits still has an exact limit
    assert E.limiting_distribution_exact(implicit, ip).shape == (16,)
    big = nn.VAE(4, nn.priors.UniformBits(17), hidden=(4,))
    bp = _params(big)
    with pytest.raises(ValueError, match="too many"):
        E.log_likelihood_exact(big, bp, X4)
    with pytest.raises(ValueError, match="too many"):
        E.transition_matrix(big, bp)
    with pytest.raises(ValueError, match="x"):
        E.log_likelihood_exact(model, params, X4[:, :3])
    with pytest.raises(ValueError, match="K"):
        E.log_likelihood_is(model, params, X4, K=0)
    with pytest.raises(ValueError, match="points"):
        E.transition_matrix(model, params, X4[:8])
    with pytest.raises(ValueError, match="points"):
        wide = nn.VAE(13, nn.priors.UniformBits(2), hidden=(4,))
        E.transition_matrix(wide, _params(wide))
    gauss = nn.VAE(4, nn.priors.UniformBits(2), hidden=(4,), data_kind="gaussian")
    with pytest.raises(ValueError, match="Bernoulli"):
        E.transition_matrix(gauss, _params(gauss))
    with pytest.raises(ValueError, match="T"):
        E.stationary(np.ones((3, 3)))
    with pytest.raises(ValueError, match="seed"):
        E.reconstruction(model, params, X4, seed=-1)


# -- evaluate ------------------------------------------------------------------------------
def _binary_data(d, exact, n_train=300, n_test=200, seed=0):
    rng = np.random.default_rng(seed)
    return SimpleNamespace(name=f"toy:{d}", x_train=exact.sample(n_train, rng=rng),
                           x_test=exact.sample(n_test, rng=rng), support="binary", exact=exact)


def _check_json(ev):
    d = ev.to_dict()
    json.dumps(d, allow_nan=False)
    assert isinstance(ev.summary(), str) and ev.model in ev.summary()
    return d


def test_evaluate_exact_binary(small):
    model, params = small
    exact = Finite(X4, np.random.default_rng(2).dirichlet(np.ones(16)))
    data = _binary_data(4, exact)
    ev = E.evaluate(model, params, data, seed=0, K=100, n_eval=150)
    assert ev.n_eval == 150 and ev.log_likelihood.method == "exact"
    x = data.x_test[:150]
    true = np.log(exact.weights[E.binary_index(x)])
    assert ev.true_log_likelihood == pytest.approx(true.mean())
    assert ev.ll_gap == pytest.approx(true.mean() - ev.log_likelihood.mean)
    lp = E.log_likelihood_exact(model, params, X4).per_image
    assert ev.kl_method == "exact"
    assert ev.kl_data_model == pytest.approx(np.sum(exact.weights * (np.log(exact.weights) - lp)))
    assert ev.generated["method"] == "exact"
    assert ev.generated["tv"] == pytest.approx(E.total_variation(np.exp(lp), exact.weights))
    pi = E.limiting_distribution_exact(model, params)
    assert ev.chain["method"] == "exact" and ev.chain["tv"] == pytest.approx(E.total_variation(pi, exact.weights))
    assert 0 <= ev.chain["tv_to_marginal"] <= 1 and ev.chain["converged"]
    d = _check_json(ev)
    assert d["log_likelihood"]["method"] == "exact" and "per_image" not in d["log_likelihood"]
    assert E.evaluate(model, params, data, seed=0, K=100, n_eval=150).to_dict() == d     # deterministic


def test_evaluate_without_exact_distribution_and_hierarchical():
    h = HierarchicalVAE(4, 2, 2, hidden=(8,))
    data = _binary_data(4, Finite(X4, np.full(16, 1 / 16)))
    data.exact = None
    ev = E.evaluate(h, _params(h), data, seed=1, K=50, n_eval=100)
    assert ev.log_likelihood.method == "exact" and ev.true_log_likelihood is None
    assert ev.generated["method"] == ev.chain["method"] == "exact-vs-empirical"
    assert ev.chain["tv_floor"] > 0 and ev.latents["n_units"] == 4
    _check_json(ev)


def test_evaluate_sampled_paths_and_implicit_prior():
    # d = 13 > 12: chain and model samples are compared with the exact distribution empirically
    rng = np.random.default_rng(0)
    pts = np.unique((rng.random((6, 13)) < 0.5).astype(float), axis=0)
    exact = Finite(pts, np.full(len(pts), 1 / len(pts)))
    model = nn.VAE(13, nn.priors.UniformBits(3), hidden=(8,))
    ev = E.evaluate(model, _params(model), _binary_data(13, exact), seed=0, K=50, chain_steps=5, n_eval=100)
    assert ev.chain["method"] == "empirical-tv" and ev.chain["steps"] == 5 and ev.chain["tv_floor"] > 0
    assert ev.kl_method == "exact" and ev.kl_data_model > 0
    # the marginal's TV is exact from p(x) on the data's support (p sums to 1 over {0,1}^13)
    pm = np.exp(E.log_likelihood_exact(model, _params(model), pts).per_image)
    assert ev.generated["method"] == "exact" and ev.generated["model_mass_on_support"] == pytest.approx(pm.sum())
    assert ev.generated["tv"] == pytest.approx(0.5 * (np.abs(pm - 1 / len(pts)).sum() + 1 - pm.sum()))
    samples = model.generate(_params(model), 20000, np.random.default_rng(5))[1]
    assert abs(E.tv_empirical(samples, exact) - ev.generated["tv"]) < 0.03
    _check_json(ev)
    implicit = nn.VAE(4, _implicit_bits(3), hidden=(8,))
    ev = E.evaluate(implicit, _params(implicit), _binary_data(4, Finite(X4, np.full(16, 1 / 16))), K=50, n_eval=100)
    assert ev.log_likelihood is None and ev.kl_data_model is None and ev.true_log_likelihood is not None
    assert ev.generated["method"] == "empirical-tv" and ev.chain["method"] == "exact"
    assert any("implicit" in n for n in ev.notes)
    _check_json(ev)


def test_evaluate_real_data_gaussian_latents():
    rng = np.random.default_rng(0)
    data = SimpleNamespace(name="blob", x_train=rng.normal(size=(300, 2)), x_test=rng.normal(size=(200, 2)),
                           support="real", exact=None)
    model = nn.VAE(2, nn.priors.StandardNormal(2), hidden=(8,), data_kind="gaussian")
    ev = E.evaluate(model, _params(model), data, seed=0, K=50, chain_steps=3, n_eval=200)
    assert ev.log_likelihood.method == "is" and ev.log_likelihood.K == 50
    assert any("importance sampling" in n for n in ev.notes)
    assert ev.generated["method"] == ev.chain["method"] == "mmd" and ev.chain["mmd_null_sd"] > 0
    assert ev.latents["kind"] == ["gaussian", "gaussian"] and "error_rate" not in ev.reconstruction
    d = _check_json(ev)
    assert d["true_log_likelihood"] is None and d["log_likelihood"]["K"] == 50
