"""Population objectives: analytic gradients against finite differences, the code's rewritten traces
against naive formulas, the CVAE without input against the VAE, the sampled (training) estimator
against the population loss and gradient."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from expfam_nash.collapse.objectives import CVAEObjective, HVAEObjective, VAEObjective
from expfam_nash.collapse.training import batch_loss_grad


def _psd(rng, n):
    X = rng.standard_normal((n, n + 1)) * rng.uniform(0.2, 2.0, (n, 1))
    return X @ X.T / (n + 1)


def _objective(kind: str, learned: bool, rng):
    beta, ee, ed = rng.uniform(0.3, 2, 3)
    if kind == "vae":
        D, d = rng.integers(1, 5, 2)
        return VAEObjective(int(D), int(d), beta, ee, ed, None if learned else rng.uniform(0.2, 2)), _psd(rng, int(D))
    if kind == "cvae":
        dx, dy, d = rng.integers(1, 4, 3)
        return (CVAEObjective(int(dx), int(dy), int(d), beta, ee, ed, None if learned else rng.uniform(0.2, 2)),
                _psd(rng, int(dx + dy)))
    D, d1, d2 = rng.integers(1, 4, 3)
    return (HVAEObjective(int(D), (int(d1), int(d2)), beta, rng.uniform(0.3, 2), ee, ed, rng.uniform(0.2, 1),
                          None if learned else rng.uniform(0.2, 1)), _psd(rng, int(D)))


kinds = st.sampled_from(["vae", "cvae", "hvae"])


@given(kinds, st.booleans(), st.integers(0, 2 ** 31 - 1))
def test_gradient_matches_central_differences(kind, learned, seed):
    rng = np.random.default_rng(seed)
    obj, M = _objective(kind, learned, rng)
    x = 0.7 * rng.standard_normal(obj.layout.size)
    _, g = obj.loss_grad(x, M)
    h = 1e-6
    fd = np.array([(obj.loss_grad(x + h * e, M)[0] - obj.loss_grad(x - h * e, M)[0]) / (2 * h)
                   for e in np.eye(x.size)])
    assert np.abs(g - fd).max() <= 1e-6 * max(1.0, np.abs(g).max())


def _kl2(mean_sq: float, var: np.ndarray, ee: float) -> float:
    """2 KL(N(mu, diag var) || N(0, ee^2 I)) summed, with E|mu|^2 = mean_sq."""
    return float((mean_sq + var.sum()) / ee ** 2 - np.sum(np.log(var / ee ** 2)) - var.size)


@given(kinds, st.booleans(), st.integers(0, 2 ** 31 - 1))
def test_loss_matches_naive_residual_matrices(kind, learned, seed):
    """tr(G C G') with the residual map G written out in full, and the KL of Gaussians from its textbook form."""
    rng = np.random.default_rng(seed)
    obj, M = _objective(kind, learned, rng)
    x = rng.standard_normal(obj.layout.size)
    p = obj.layout.unpack(x)
    var = obj.variances(p)
    ed2 = obj.eta_dec ** 2
    if kind == "vae":
        G = np.eye(obj.dim) - p["U"] @ p["W"]
        naive = (np.trace(G @ M @ G.T) + np.trace(p["U"] @ np.diag(var) @ p["U"].T)) / ed2 \
            + obj.beta * _kl2(np.trace(p["W"] @ M @ p["W"].T), var, obj.eta_enc)
    elif kind == "cvae":
        dx = obj.dim_x
        W = np.hstack([p["W1"], p["W2"]])
        G = np.hstack([-p["U2"], np.eye(obj.dim_y)]) - p["U1"] @ W
        naive = (np.trace(G @ M @ G.T) + np.trace(p["U1"] @ np.diag(var) @ p["U1"].T)) / ed2 \
            + obj.beta * _kl2(np.trace(W @ M @ W.T), var, obj.eta_enc)
        assert dx == p["W1"].shape[1]
    else:
        d1 = obj.latent_dims[0]
        C1 = p["W1"] @ M @ p["W1"].T + obj.sigma1 ** 2 * np.eye(d1)
        G1 = np.eye(obj.dim) - p["U1"] @ p["W1"]
        G2 = np.eye(d1) - p["U2"] @ p["W2"]
        naive = (np.trace(G1 @ M @ G1.T) + obj.sigma1 ** 2 * np.trace(p["U1"] @ p["U1"].T)) / ed2 \
            + obj.beta1 * (np.trace(G2 @ C1 @ G2.T) + np.trace(p["U2"] @ np.diag(var) @ p["U2"].T)) / ed2 \
            + obj.beta2 * _kl2(np.trace(p["W2"] @ C1 @ p["W2"].T), var, obj.eta_enc)
    assert obj.loss_grad(x, M)[0] == pytest.approx(naive, rel=1e-10, abs=1e-10)


def test_cvae_without_input_is_the_vae():
    rng = np.random.default_rng(1)
    A = _psd(rng, 3)
    vae = VAEObjective(3, 2, 0.7, 1.1, 0.6, None)
    cvae = CVAEObjective(0, 3, 2, 0.7, 1.1, 0.6, None)
    p = vae.layout.unpack(rng.standard_normal(vae.layout.size))
    q = {"U1": p["U"], "U2": np.zeros((3, 0)), "W1": np.zeros((2, 0)), "W2": p["W"], "ell": p["ell"]}
    lv, gv = vae.loss_grad(vae.layout.pack(p), A)
    lc, gc = cvae.loss_grad(cvae.layout.pack(q), A)
    assert lv == pytest.approx(lc, rel=1e-13)
    gq = cvae.layout.unpack(gc)
    np.testing.assert_allclose(vae.layout.pack({"U": gq["U1"], "W": gq["W2"], "ell": gq["ell"]}), gv, rtol=1e-12)


@pytest.mark.parametrize("kind", ["vae", "cvae", "hvae"])
def test_sampled_estimator_is_unbiased_for_the_population_loss_and_gradient(kind):
    """The training estimator samples z (and z2) and evaluates |x - U z|^2 directly: its mean over draws is the
    population objective on the batch's second moment (an independent check of the trace formulas)."""
    rng = np.random.default_rng(7)
    obj, _ = _objective(kind, True, np.random.default_rng(11))
    dim = {"vae": lambda o: o.dim, "cvae": lambda o: o.dim_x + o.dim_y, "hvae": lambda o: o.dim}[kind](obj)
    data = rng.standard_normal((40, dim)) * rng.uniform(0.3, 2, dim)
    x = 0.5 * rng.standard_normal(obj.layout.size)
    f_exact, g_exact = obj.loss_grad(x, data.T @ data / data.shape[0])
    draws = [batch_loss_grad(obj, x, data, np.random.default_rng(s)) for s in range(1500)]
    f = np.array([d[0] for d in draws])
    g = np.array([d[1] for d in draws])
    assert abs(f.mean() - f_exact) <= 5 * f.std() / np.sqrt(f.size) + 1e-12
    se = g.std(axis=0) / np.sqrt(len(draws))
    assert np.all(np.abs(g.mean(axis=0) - g_exact) <= 5 * se + 1e-10)


@pytest.mark.parametrize("kind", ["vae", "cvae", "hvae"])
def test_sampled_gradient_matches_finite_differences_of_the_sampled_loss(kind):
    rng = np.random.default_rng(2)
    obj, _ = _objective(kind, kind != "cvae", np.random.default_rng(4))
    dim = {"vae": lambda o: o.dim, "cvae": lambda o: o.dim_x + o.dim_y, "hvae": lambda o: o.dim}[kind](obj)
    data = rng.standard_normal((7, dim))
    x = 0.5 * rng.standard_normal(obj.layout.size)
    _, g = batch_loss_grad(obj, x, data, np.random.default_rng(9))
    h = 1e-6
    fd = np.array([(batch_loss_grad(obj, x + h * e, data, np.random.default_rng(9))[0]
                    - batch_loss_grad(obj, x - h * e, data, np.random.default_rng(9))[0]) / (2 * h) for e in np.eye(x.size)])
    assert np.abs(g - fd).max() <= 1e-6 * max(1.0, np.abs(g).max())


@pytest.mark.parametrize("kind", ["vae", "cvae", "hvae"])
@pytest.mark.parametrize("learned", [True, False])
def test_whitened_batches_equal_the_chain_rule_through_the_coordinates(kind, learned):
    """Training feeds pre-whitened data to the maps acting on data; this equals the raw estimator at
    coords.params(y) with the chain rule coords.gradient (same random draws)."""
    from expfam_nash.collapse.coordinates import coordinates, random_coordinates
    from expfam_nash.collapse.training import WhitenedBatches

    rng = np.random.default_rng(12)
    obj, _ = _objective(kind, learned, np.random.default_rng(13))
    dim = {"vae": lambda o: o.dim, "cvae": lambda o: o.dim_x + o.dim_y, "hvae": lambda o: o.dim}[kind](obj)
    data = rng.standard_normal((30, dim)) @ rng.standard_normal((dim, dim))
    data[:, 0] = 0.0                                                   # a singular moment
    coords = coordinates(obj, data.T @ data / 30)
    y = random_coordinates(coords, rng)
    idx = np.arange(5, 17)
    lw, gw = WhitenedBatches(obj, coords, data)(y, idx, np.random.default_rng(3))
    lr_, gr = batch_loss_grad(obj, coords.params(y), data[idx], np.random.default_rng(3))
    assert lw == pytest.approx(lr_, rel=1e-10)
    np.testing.assert_allclose(gw, coords.gradient(gr), rtol=1e-8, atol=1e-10 * np.abs(gw).max())
