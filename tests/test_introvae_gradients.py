"""Every gradient of the Soft-IntroVAE learner against central finite differences of an
independent NumPy reference of its loss (float64, small networks, the same random draws).

Each reference below is written from the spec (SEED-002) with ``mlp_forward_reference`` and the
kernels' NumPy references, and replays the step's draws in the step's order. What a loss holds
constant (stop-gradients) is passed in frozen:

* VAE step: L(theta_E, theta_D, prior) with no stop-gradient (VampPrior: the prior depends on the
  encoder and the pseudo-inputs; mixture: raw means, clipped log-variances, logits).
* encoder step: L_E(theta_E) with fake (from D and P) and rec held as inputs of q(.|rec).
* decoder step: L_D(theta_D, prior) with the encoder frozen, Pbar (the prior inside KL(rec),
  KL(fake)) frozen, and the gamma_r terms' latents and targets frozen; gamma_r = 0.7 so that its
  gradient is visible.
* symmetric step: each player's own objective with the samples the others drew held fixed.

The step under test runs with its Adam update replaced by a no-op, so ``state.grads`` holds
exactly what the step would descend. FD: central, h = 1e-6, on a seeded subset of coordinates;
|analytic - numeric| <= 1e-6 max |numeric| (+ 1e-10).
"""
import numpy as np
import pytest
from scipy.special import log_softmax

from expfam_nash.introvae import kernels as KK
from expfam_nash.introvae import methods as Mth
from expfam_nash.introvae import priors as P
from expfam_nash.introvae import sintro, symmetric
from expfam_nash.introvae.config import IntroConfig
from expfam_nash.neural.mlp import mlp_forward_reference

H, RTOL, N_COORDS = 1e-6, 1e-6, 12
B, M, K = 5, 4, 3
S = 0.5


def small(**kw):
    base = dict(hidden=(6, 5), batch=B, mc_samples=M, dtype="float64", steps=10, warmup=3, vamp_lead=1,
                log_every=1)
    base.update(kw)
    return IntroConfig(**base)


@pytest.fixture
def no_update(monkeypatch):
    monkeypatch.setattr(sintro, "adam_descend", lambda *a, **k: None)
    monkeypatch.setattr(symmetric, "adam_descend", lambda *a, **k: None)


def check_fd(loss, params: dict, grads: dict, keys, seed=0):
    """FD of loss(params) on N_COORDS coordinates of each key against grads[key]."""
    rng = np.random.default_rng(seed)
    for key in keys:
        x = params[key]
        idx = rng.choice(x.size, size=min(N_COORDS, x.size), replace=False)
        num = np.empty(len(idx))
        for n, i in enumerate(idx):
            old = x.flat[i]
            x.flat[i] = old + H
            fp = loss(params)
            x.flat[i] = old - H
            fm = loss(params)
            x.flat[i] = old
            num[n] = (fp - fm) / (2 * H)
        ana = grads[key].reshape(-1)[idx]
        err = np.abs(ana - num).max()
        assert err <= RTOL * np.abs(num).max() + 1e-10, f"{key}: max error {err:.3g}, scale {np.abs(num).max():.3g}"


# -- the reference pieces ---------------------------------------------------------------------
def net(nets, name, params, x):
    return mlp_forward_reference(nets[name].spec, params[name], np.asarray(x, np.float64))


def components(stage, params, nets, bounds):
    """(means, log-variances after clipping, log weights), written independently of priors.py."""
    if stage == "normal":
        return np.zeros((1, 2)), np.zeros((1, 2)), np.zeros(1)
    if stage == "vamp":
        o = net(nets, "encoder", params, params["prior.pseudo"])
        mu, lv = o[:, :2], o[:, 2:]
    else:
        mu, lv = params["prior.means"], params["prior.logvars"]
        if bounds is not None:
            lo, hi = bounds
            b = 10.0 / (np.abs(hi - lo) + 1e-8)
            lv = lv - np.logaddexp(0, b * (lv - hi)) / b + np.logaddexp(0, b * (lo - lv)) / b
    k = mu.shape[0]
    lw = log_softmax(params["prior.logits"]) if "prior.logits" in params else np.full(k, -np.log(k))
    return mu, lv, lw


def kl_ref(mu, lv, eps, comp):
    return KK.mixture_mc_kl_reference(mu, lv, eps, *comp, np.zeros(len(mu)))[0]


def rec_ref(a, b):
    return ((a - b) ** 2).sum(1)


class Draws:
    """Replays a generator: draws in the order of the step under test."""

    def __init__(self, rng_state):
        self.rng = np.random.default_rng()
        self.rng.bit_generator.state = rng_state

    def prior(self, comp, n):
        k = comp[0].shape[0]
        idx = np.zeros(n, int) if k == 1 else self.rng.choice(k, size=n, p=np.exp(comp[2]) / np.exp(comp[2]).sum())
        return idx, self.rng.standard_normal((n, 2))

    def normal(self, shape):
        return self.rng.standard_normal(shape)


def setup(config, stage_to="init", bounds=None, seed=1):
    rng = np.random.default_rng(seed)
    state, nets = Mth.init(config, rng)
    if stage_to == "mog" and state.stage == "vamp":
        Mth.vamp_to_mog(config, state, nets)
        if "prior.logits" in state.params:
            state.params["prior.logits"][:] = rng.standard_normal(K)
    state.clip_bounds = bounds
    state.step = 0 if stage_to == "init" else config.warmup
    x = Mth.data_batch(config, rng)
    return state, nets, x, rng


# -- VAE step ---------------------------------------------------------------------------------
@pytest.mark.parametrize("prior, stage, learnable", [("normal", "init", False), ("mog:3", "init", True),
                                                     ("mog:3", "mog", True), ("mog:3", "mog", False)])
def test_vae_step_gradient(no_update, prior, stage, learnable):
    config = small(method="vae", prior=prior, learnable_weights=learnable)
    bounds = None
    state, nets, x, rng = setup(config)
    if stage == "mog":
        Mth.vamp_to_mog(config, state, nets)
        bounds = P.clip_bounds_of(state.params)
        bounds = (bounds[0] + 0.2, bounds[1] - 0.1)       # some components clipped on either side
        state.clip_bounds = bounds
    rs = rng.bit_generator.state
    _, info = Mth.step(config, state, nets, x, rng)

    def loss(params):
        dr = Draws(rs)
        comp = components(state.stage, params, nets, bounds)
        o = net(nets, "encoder", params, x)
        mu, lv = o[:, :2], o[:, 2:]
        z = mu + np.exp(0.5 * lv) * dr.normal((B, 2))
        rec = rec_ref(x, net(nets, "decoder", params, z))
        kl = kl_ref(mu, lv, dr.normal((B, M, 2)), comp)
        return config.beta_rec * rec.mean() + config.beta_kl * kl.mean()

    assert loss(state.params) == pytest.approx(info.values["loss"], rel=1e-12)
    check_fd(loss, state.params, state.grads, sorted(state.params))


# -- S-IntroVAE -------------------------------------------------------------------------------
def sintro_case(prior, learnable=False, lambda_resp=0.0, train_prior=True):
    config = small(method="sintro", prior=prior, learnable_weights=learnable, lambda_resp=lambda_resp,
                   train_prior=train_prior, gamma_r=0.7, clip=None)
    state, nets, x, rng = setup(config, "mog")
    if config.clip:
        lo, hi = P.clip_bounds_of(state.params)
        state.clip_bounds = (lo + 0.2, hi - 0.1)
    return config, state, nets, x, rng


CASES = [("normal", False, 0.0, True), ("mog:3", True, 0.0, True), ("mog:3", True, 3.0, True),
         ("mog:3", False, 0.0, False)]


def encoder_loss(config, state, nets, x, rs, comp, rec_held):
    """L_E(theta_E) with fake and rec held; returns a function of the parameters."""
    a, lam = config.exp_scale, config.lambda_resp

    def loss(params):
        dr = Draws(rs)
        idx, ep = dr.prior(comp, B)
        fake = net(nets, "decoder", params, comp[0][idx] + np.exp(0.5 * comp[1][idx]) * ep)
        o = net(nets, "encoder", params, x)
        mu, lv = o[:, :2], o[:, 2:]
        rec = net(nets, "decoder", params, mu + np.exp(0.5 * lv) * dr.normal((B, 2)))
        u = np.concatenate([fake, rec_held])
        o2 = net(nets, "encoder", params, u)
        mu2, lv2 = o2[:, :2], o2[:, 2:]
        out2 = net(nets, "decoder", params, mu2 + np.exp(0.5 * lv2) * dr.normal((2 * B, 2)))
        eps_kl = dr.normal((B, M, 2))
        kl = kl_ref(mu, lv, eps_kl, comp)
        kl2 = kl_ref(mu2, lv2, dr.normal((2 * B, M, 2)), comp)
        e = np.exp(-a * S * (config.beta_rec * rec_ref(u, out2) + config.beta_neg * kl2))
        L = S * (config.beta_kl * kl.mean() + config.beta_rec * rec_ref(x, rec).mean()) + (e[:B].mean() + e[B:].mean()) / (2 * a)
        if comp[0].shape[0] > 1:
            r = KK.mixture_mc_kl_reference(mu, lv, eps_kl, *comp, np.zeros(B))[-1]
            norm = np.log(len(r)) if np.log(len(r)) > 1 else 1.0
            L += S * lam * np.sum(r * np.log(r + 1e-8)) / norm
        return L

    return loss


@pytest.mark.parametrize("prior, learnable, lam, train", CASES)
def test_sintro_encoder_gradient(no_update, prior, learnable, lam, train):
    config, state, nets, x, rng = sintro_case(prior, learnable, lam, train)
    comp = components(state.stage, state.params, nets, state.clip_bounds)
    rs = rng.bit_generator.state
    dr = Draws(rs)
    dr.prior(comp, B)
    o = net(nets, "encoder", state.params, x)
    rec_held = net(nets, "decoder", state.params, o[:, :2] + np.exp(0.5 * o[:, 2:]) * dr.normal((B, 2)))
    _, info = Mth.step(config, state, nets, x, rng)
    loss = encoder_loss(config, state, nets, x, rs, comp, rec_held)
    assert loss(state.params) == pytest.approx(info.values["loss_encoder"], rel=1e-12)
    check_fd(loss, state.params, state.grads, ["encoder"])


def decoder_loss(config, state, nets, x, rs, bounds):
    """L_D(theta_D, prior) with the encoder, Pbar and the gamma_r latents/targets frozen."""
    p0 = {k: v.copy() for k, v in state.params.items()}
    pbar = components(state.stage, p0, nets, bounds)
    learn = state.stage == "mog" and config.train_prior

    def draws(params, comp):
        dr = Draws(rs)
        dr.prior(pbar, B)                                       # the encoder step's draws
        o = net(nets, "encoder", p0, x)
        mu, lv = o[:, :2], o[:, 2:]
        z = mu + np.exp(0.5 * lv) * dr.normal((B, 2))
        dr.normal((2 * B, 2)), dr.normal((B, M, 2)), dr.normal((2 * B, M, 2))
        idx, ep = dr.prior(comp, B)
        rec = net(nets, "decoder", params, z)
        fake = net(nets, "decoder", params, comp[0][idx] + np.exp(0.5 * comp[1][idx]) * ep)
        o2 = net(nets, "encoder", p0, np.concatenate([rec, fake]))
        return dr, mu, lv, rec, fake, o2

    dr0, _, _, rec0, fake0, o20 = draws(p0, pbar)
    z2_held = o20[:, :2] + np.exp(0.5 * o20[:, 2:]) * dr0.normal((2 * B, 2))
    u_held = np.concatenate([rec0, fake0])

    def loss(params):
        comp = components(state.stage, params, nets, bounds)
        dr, mu, lv, rec, fake, o2 = draws(params, comp)
        dr.normal((2 * B, 2))
        L = S * config.beta_rec * rec_ref(x, rec).mean()
        if learn:
            L += S * config.beta_kl * kl_ref(mu, lv, dr.normal((B, M, 2)), comp).mean()
        kl2 = kl_ref(o2[:, :2], o2[:, 2:], dr.normal((2 * B, M, 2)), pbar)
        L += S * config.beta_kl / 2 * (kl2[:B].mean() + kl2[B:].mean())
        rg = rec_ref(u_held, net(nets, "decoder", params, z2_held))
        return L + S * config.gamma_r * config.beta_rec / 2 * (rg[:B].mean() + rg[B:].mean())

    return loss


@pytest.mark.parametrize("prior, learnable, lam, train", CASES)
def test_sintro_decoder_and_prior_gradient(no_update, prior, learnable, lam, train):
    config, state, nets, x, rng = sintro_case(prior, learnable, lam, train)
    rs = rng.bit_generator.state
    loss = decoder_loss(config, state, nets, x, rs, state.clip_bounds)
    _, info = Mth.step(config, state, nets, x, rng)
    assert loss(state.params) == pytest.approx(info.values["loss_decoder"], rel=1e-12)
    keys = ["decoder"] + (state.player_keys("prior") if train and prior != "normal" else [])
    check_fd(loss, state.params, state.grads, keys)


# -- symmetric learning -----------------------------------------------------------------------
@pytest.mark.parametrize("prior, variance", [("normal", "learned"), ("mog:3", "learned"), ("mog:3", 0.3)])
def test_symmetric_pseudo_gradients(no_update, prior, variance):
    config = small(method="symmetric", prior=prior, learnable_weights=prior != "normal", decoder_variance=variance)
    state, nets, x, rng = setup(config)
    if "prior.logits" in state.params:
        state.params["prior.logits"][:] = rng.standard_normal(K)
    rs = rng.bit_generator.state
    p0 = {k: v.copy() for k, v in state.params.items()}
    comp0 = components(state.stage, p0, nets, None)
    dr = Draws(rs)
    o = net(nets, "encoder", p0, x)
    z = o[:, :2] + np.exp(0.5 * o[:, 2:]) * dr.normal((B, 2))
    idx, ep = dr.prior(comp0, B)
    zp = comp0[0][idx] + np.exp(0.5 * comp0[1][idx]) * ep
    s0 = p0["decoder.logvar"] if "decoder.logvar" in p0 else np.full(2, np.log(variance))
    xg = net(nets, "decoder", p0, zp) + np.exp(0.5 * s0) * dr.normal((B, 2))
    _, info = Mth.step(config, state, nets, x, rng)

    def neg_decoder_ll(params):
        s = params["decoder.logvar"] if "decoder.logvar" in params else s0
        r = x - net(nets, "decoder", params, z)
        return np.mean(np.sum(0.5 * (r * r * np.exp(-s) + s + np.log(2 * np.pi)), 1))

    def neg_encoder_ll(params):
        o2 = net(nets, "encoder", params, xg)
        mu, lv = o2[:, :2], o2[:, 2:]
        return np.mean(np.sum(0.5 * (lv + (zp - mu) ** 2 * np.exp(-lv) + np.log(2 * np.pi)), 1))

    def neg_prior_ll(params):
        return -KK.mixture_logpdf_reference(z, *components(state.stage, params, nets, None))[0].mean()

    assert -neg_decoder_ll(state.params) == pytest.approx(info.values["decoder_ll"], rel=1e-12)
    assert -neg_encoder_ll(state.params) == pytest.approx(info.values["encoder_ll"], rel=1e-12)
    check_fd(neg_decoder_ll, state.params, state.grads, state.player_keys("decoder"))
    check_fd(neg_encoder_ll, state.params, state.grads, ["encoder"])
    if prior != "normal":
        assert -neg_prior_ll(state.params) == pytest.approx(info.values["prior_ll"], rel=1e-12)
        check_fd(neg_prior_ll, state.params, state.grads, state.player_keys("prior"))


def test_mlp_input_gradient_equals_the_full_backward_and_finite_differences():
    from expfam_nash.neural.mlp import MLP, MLPSpec

    net = MLP(MLPSpec((2, 7, 6, 3), "relu"))
    rng = np.random.default_rng(4)
    theta = net.init(rng, np.float64)
    x, G = rng.standard_normal((9, 2)), rng.standard_normal((9, 3))
    out, cache = net.forward(theta, x)
    full = net.backward(theta, cache, G.copy(), np.zeros_like(theta), input_grad=True)
    only = net.input_gradient(theta, cache, G.copy())
    assert np.array_equal(full, only)
    f = lambda xx: float(np.sum(G * mlp_forward_reference(net.spec, theta, xx)))   # noqa: E731
    num = np.array([(f(x + H * e) - f(x - H * e)) / (2 * H) for e in np.eye(x.size).reshape(-1, *x.shape)])
    assert np.abs(only.ravel() - num).max() <= RTOL * np.abs(num).max()
