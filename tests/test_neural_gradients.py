"""Gradients of the neural learner against central finite differences (float64 throughout).

* ``MLP.backward``: parameter and input gradients of sum(G * output) for 0, 1, 2 hidden layers,
  identity / tanh / ReLU (ReLU only at points whose pre-activations are away from the kink);
  ``MLP.forward`` against ``mlp_forward_reference`` (float32 and float64).
* Every head: the gradient written by ``log_prob`` is scale * d log p / d o.
* ``VAE.decoder_grad`` / ``VAE.encoder_grad`` with fixed samples and weights:
  grads = d/dtheta sum_i w_i log p(x_i | z_i) (resp. log q(z_i | x_i)), including ``label_rows``
  (labelled rows count only the label part of q).
* ``learning._elbo_reparam``: with the same eps, the gradient is the derivative of the
  single-sample ELBO estimate.
* The score-function ELBO gradient for binary latents is unbiased: averaged over many draws it
  equals the gradient of the exact ELBO (latents enumerated), within a Bonferroni z-threshold.

Finite differences: central, step H = 1e-5 (truncation ~ H^2 f''' / 6 ~ 1e-11, rounding
~ 1e-16 |f| / H ~ 1e-11 for |f| ~ 1), compared with max |analytic - numeric| <= RTOL max(1, max |numeric|).
"""
import numpy as np
import pytest
from hypothesis import assume, example, given
from hypothesis import strategies as st

from expfam_nash import neural as nn
from expfam_nash.neural import heads as H
from expfam_nash.neural import learning
from expfam_nash.neural.mlp import MLP, MLPSpec, mlp_forward_reference

H_STEP, RTOL = 1e-5, 1e-6
HIDDEN = [(), (4,), (3, 5)]


def fd_gradient(f, x, h=H_STEP):
    """Central differences of the scalar f at the array x (any shape); x is not modified."""
    g = np.empty(x.size)
    for i in range(x.size):
        xp, xm = x.copy(), x.copy()
        xp.flat[i] += h
        xm.flat[i] -= h
        g[i] = (f(xp) - f(xm)) / (2 * h)
    return g.reshape(x.shape)


def assert_grad(analytic, numeric, rtol=RTOL):
    analytic, numeric = np.asarray(analytic, np.float64), np.asarray(numeric, np.float64)
    assert analytic.shape == numeric.shape
    err = np.abs(analytic - numeric).max(initial=0.0)
    scale = max(1.0, np.abs(numeric).max(initial=0.0))
    assert err <= rtol * scale, f"max error {err:.3g} (scale {scale:.3g})"


def pre_activations(spec, theta, x):
    """Hidden pre-activations of every layer (to keep ReLU checks away from the kink)."""
    out, h = [], x
    for i, (w0, b0, b1) in enumerate(spec.offsets()[:-1]):
        a = h @ theta[w0:b0].reshape(spec.sizes[i], spec.sizes[i + 1]) + theta[b0:b1]
        out.append(a)
        h = nn.kernels.bias_activation_reference(a, 0.0, spec.act)
    return out


# -- MLP -----------------------------------------------------------------------------------------
@given(st.integers(0, 2 ** 32 - 1), st.sampled_from(HIDDEN), st.sampled_from(["identity", "tanh", "relu"]),
       st.integers(1, 5), st.integers(1, 4), st.integers(1, 3))
@example(0, (), "tanh", 1, 1, 1)
@example(1, (3, 5), "relu", 1, 2, 1)
def test_mlp_backward_parameter_and_input_gradients(seed, hidden, activation, n, n_in, n_out):
    rng = np.random.default_rng(seed)
    spec = MLPSpec((n_in, *hidden, n_out), activation)
    net = MLP(spec)
    theta = net.init(rng, np.float64) + 0.3 * rng.standard_normal(spec.n_params)
    x = rng.standard_normal((n, n_in))
    G = rng.standard_normal((n, n_out))
    # a step H moves any pre-activation by at most ~H * (1 + |inputs|) * sqrt(width) << 1e-3
    assume(all(np.abs(a).min() > 1e-3 for a in pre_activations(spec, theta, x)) or activation != "relu")
    out, cache = net.forward(theta, x)
    assert out.shape == (n, n_out)
    grad = np.full(spec.n_params, np.nan)      # overwritten, not accumulated
    gx = net.backward(theta, cache, G.copy(), grad, input_grad=True)
    f_theta = lambda th: float(np.sum(G * mlp_forward_reference(spec, th, x)))
    f_x = lambda xx: float(np.sum(G * mlp_forward_reference(spec, theta, xx)))
    assert_grad(grad, fd_gradient(f_theta, theta))
    assert_grad(gx, fd_gradient(f_x, x))
    # without input_grad: same parameter gradient, returns None
    _, cache = net.forward(theta, x)
    grad2 = np.zeros(spec.n_params)
    assert net.backward(theta, cache, G.copy(), grad2) is None
    np.testing.assert_array_equal(grad2, grad)


@given(st.integers(0, 2 ** 32 - 1), st.sampled_from(HIDDEN), st.sampled_from(["identity", "tanh", "relu"]),
       st.integers(1, 6), st.integers(1, 4), st.integers(1, 3), st.sampled_from([np.float32, np.float64]))
@example(0, (), "tanh", 1, 1, 1, np.float32)
def test_mlp_forward_equals_reference(seed, hidden, activation, n, n_in, n_out, dtype):
    rng = np.random.default_rng(seed)
    spec = MLPSpec((n_in, *hidden, n_out), activation)
    net = MLP(spec)
    theta = (net.init(rng, np.float64) + 0.5 * rng.standard_normal(spec.n_params)).astype(dtype)
    x = rng.standard_normal((n, n_in)).astype(dtype)
    out, cache = net.forward(theta, x)
    assert out.shape == (n, n_out) and out.dtype == dtype and len(cache) == len(hidden) + 1
    want = mlp_forward_reference(spec, theta.astype(np.float64), x.astype(np.float64))
    tol = 1e-4 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(out, want, rtol=tol, atol=tol)


# -- heads ---------------------------------------------------------------------------------------
def head_case(head, n, rng):
    """(o, t) for a head: o with any learned log-variance well inside its clip range."""
    if isinstance(head, H.Product):
        parts = [head_case(p, n, rng) for p in head.parts]
        return np.concatenate([p[0] for p in parts], 1), np.concatenate([p[1] for p in parts], 1)
    o = rng.normal(0.0, 2.0, (n, head.n_out))
    if isinstance(head, H.Bernoulli):
        t = (rng.random((n, head.dim)) < 0.5).astype(float)
    elif isinstance(head, H.Categorical):
        t = np.eye(head.dim)[rng.integers(0, head.dim, n)]
    else:
        t = rng.normal(0.0, 2.0, (n, head.dim))
    if isinstance(head, H.GaussianLogVariance):
        o[:, head.dim:] = rng.uniform(-3.0, 3.0, (n, head.dim))   # clip range is [-9.2, 9.2]
    return o, t


HEADS = [H.Bernoulli(3), H.Bernoulli(1), H.Categorical(4), H.Categorical(1), H.GaussianFixed(3),
         H.GaussianFixed(2, variance=0.3), H.GaussianLogVariance(2),
         H.Product((H.Categorical(3), H.Bernoulli(2), H.GaussianLogVariance(2), H.GaussianFixed(1, 2.0)))]


@pytest.mark.parametrize("head", HEADS, ids=lambda h: type(h).__name__)
@pytest.mark.parametrize("scale", [1.0, -0.7])
def test_head_gradient_in_output(head, scale):
    rng = np.random.default_rng(5)
    o, t = head_case(head, 4, rng)
    grad = np.full_like(o, np.nan)
    ll = head.log_prob(o.copy(), t, grad, scale)
    assert ll.shape == (4,) and np.all(np.isfinite(grad))
    f = lambda oo: scale * float(head.log_prob(oo, t, np.empty_like(oo)).sum())
    assert_grad(grad, fd_gradient(f, o))


@pytest.mark.parametrize("head", [H.Bernoulli(3), H.Categorical(4), H.Product((H.Categorical(3), H.Bernoulli(2)))],
                         ids=lambda h: type(h).__name__)
def test_discrete_heads_normalise(head):
    """sum_t p(t | o) = 1 over the whole support (the log-densities are log-probabilities)."""
    from expfam_nash.neural import priors as P

    prior = {H.Bernoulli: lambda h: P.UniformBits(h.dim), H.Categorical: lambda h: P.UniformClasses(h.dim)}
    sup = (P.Product(tuple(prior[type(p)](p) for p in head.parts)) if isinstance(head, H.Product)
           else prior[type(head)](head)).enumerate()
    o = np.random.default_rng(0).normal(0, 2, (1, head.n_out)).repeat(len(sup), 0)
    ll = head.log_prob(o, np.ascontiguousarray(sup), np.empty_like(o))
    assert np.isclose(np.exp(ll).sum(), 1.0, rtol=1e-12)


# -- VAE player gradients -------------------------------------------------------------------------
LABELLED_PRIOR = lambda: nn.priors.Product((nn.priors.UniformClasses(3), nn.priors.UniformBits(2)))
VAE_CASES = {
    "bits-bernoulli": lambda: nn.VAE(4, nn.priors.UniformBits(2), hidden=(4,)),
    "normal-gaussian": lambda: nn.VAE(3, nn.priors.StandardNormal(2), hidden=(3,), data_kind="gaussian",
                                      data_variance=0.5),
    "normal-learned-nohidden": lambda: nn.VAE(3, nn.priors.StandardNormal(2), hidden=(),
                                              data_kind="gaussian-learned"),
    "labelled-bernoulli-2layers": lambda: nn.VAE(4, LABELLED_PRIOR(), hidden=(4, 3)),
}


def model_params(model, seed, scale=0.3):
    rng = np.random.default_rng(seed)
    params = model.init(seed, dtype=np.float64)
    return {k: v + scale * rng.standard_normal(v.shape) for k, v in params.items()}, rng


def sample_latents(prior, n, rng):
    return prior.sample(n, rng, np.float64)


def sample_data(model, n, rng):
    if model.spec["data_kind"] == "bernoulli":
        return (rng.random((n, model.data_dim)) < 0.5).astype(float)
    return rng.normal(0, 1.5, (n, model.data_dim))


def with_net(params, name, vec):
    out = dict(params)
    out[name] = vec
    return out


@pytest.mark.parametrize("case", sorted(VAE_CASES))
def test_decoder_grad_is_weighted_log_likelihood_gradient(case):
    model = VAE_CASES[case]()
    params, rng = model_params(model, 1)
    n = 5
    x, z = sample_data(model, n, rng), sample_latents(model.prior, n, rng)
    w = rng.normal(0, 1, n)
    grads = model.zeros_like(params)
    grads["decoder"][:] = np.nan                      # overwritten
    ll = model.decoder_grad(params, x, z, w, grads)
    np.testing.assert_allclose(ll, model.log_likelihood(params, x, z), rtol=1e-13)
    np.testing.assert_array_equal(grads["encoder"], 0.0)   # the other player is untouched
    f = lambda th: float(w @ model.log_likelihood(with_net(params, "decoder", th), x, z))
    assert_grad(grads["decoder"], fd_gradient(f, params["decoder"]))


@pytest.mark.parametrize("case", sorted(VAE_CASES))
def test_encoder_grad_is_weighted_log_q_gradient(case):
    model = VAE_CASES[case]()
    params, rng = model_params(model, 2)
    n = 5
    x, z = sample_data(model, n, rng), sample_latents(model.prior, n, rng)
    w = rng.normal(0, 1, n)
    grads = model.zeros_like(params)
    grads["encoder"][:] = np.nan
    ll = model.encoder_grad(params, x, z, w, grads)
    np.testing.assert_allclose(ll, model.log_q(params, x, z), rtol=1e-13)
    np.testing.assert_array_equal(grads["decoder"], 0.0)
    f = lambda ph: float(w @ model.log_q(with_net(params, "encoder", ph), x, z))
    assert_grad(grads["encoder"], fd_gradient(f, params["encoder"]))


@pytest.mark.parametrize("hidden", [(), (4,)])
def test_encoder_grad_label_rows_count_only_the_label(hidden):
    """Rows flagged in label_rows contribute d/dphi w_i log q(y_i | x_i) (the categorical part only);
    the other rows the full log q(z_i | x_i)."""
    model = nn.VAE(4, LABELLED_PRIOR(), hidden=hidden)
    params, rng = model_params(model, 3)
    n = 7
    x, z = sample_data(model, n, rng), sample_latents(model.prior, n, rng)
    w = rng.normal(0, 1, n)
    label_rows = np.array([False, True, False, True, True, False, False])
    grads = model.zeros_like(params)
    model.encoder_grad(params, x, z, w, grads, label_rows=label_rows)
    label_head, nc = H.Categorical(3), model.n_classes
    assert nc == 3

    def f(ph):
        p = with_net(params, "encoder", ph)
        full = model.log_q(p, x, z)
        o = np.ascontiguousarray(model.encoder_out(p, x)[:, :nc])
        label = label_head.log_prob(o, np.ascontiguousarray(z[:, :nc]), np.empty_like(o))
        return float(w @ np.where(label_rows, label, full))

    assert_grad(grads["encoder"], fd_gradient(f, params["encoder"]))
    # and it differs from the unmasked gradient (the mask does something)
    unmasked = model.zeros_like(params)
    model.encoder_grad(params, x, z, w, unmasked)
    assert np.abs(unmasked["encoder"] - grads["encoder"]).max() > 1e-3
    # all-False label_rows is the same as None
    none = model.zeros_like(params)
    model.encoder_grad(params, x, z, w, none, label_rows=np.zeros(n, bool))
    np.testing.assert_array_equal(none["encoder"], unmasked["encoder"])


# -- ELBO, reparametrised -------------------------------------------------------------------------
@pytest.mark.parametrize("data_kind", ["bernoulli", "gaussian", "gaussian-learned"])
@pytest.mark.parametrize("hidden", [(), (4,)])
def test_elbo_reparam_gradient_is_derivative_of_the_single_sample_estimate(data_kind, hidden):
    model = nn.VAE(3, nn.priors.StandardNormal(2), hidden=hidden, data_kind=data_kind)
    state = learning.init(model, seed=4, dtype=np.float64)
    params, rng = model_params(model, 4)
    for k in params:
        state.params[k][:] = params[k]
    n, k, seed = 6, model.latent_dim, 99
    x = sample_data(model, n, rng)

    def elbo_hat(p):
        """(1/n) sum_i [log p(x_i | mu_i + sigma_i eps_i) - KL(q(.|x_i) || N(0, I))], eps as _elbo_reparam draws it."""
        eps = np.random.default_rng(seed).standard_normal((n, k))
        o = model.encoder_out(p, x)
        mu, s = o[:, :k], o[:, k:]
        assert np.all((s > H.LOGVAR_RANGE[0] + 1) & (s < H.LOGVAR_RANGE[1] - 1))   # no clipping
        z = mu + np.exp(0.5 * s) * eps
        kl = 0.5 * (mu * mu + np.exp(s) - 1 - s).sum(1)
        return float((model.log_likelihood(p, x, z) - kl).mean())

    value = learning._elbo_reparam(model, state, x, np.random.default_rng(seed))
    assert np.isclose(value, elbo_hat(state.params), rtol=1e-12)
    for name in ("decoder", "encoder"):
        f = lambda v, name=name: elbo_hat(with_net(state.params, name, v))
        assert_grad(state.grads[name], fd_gradient(f, state.params[name]))
    # elbo_gradients dispatches Gaussian latents to the same estimator
    g0 = {kk: v.copy() for kk, v in state.grads.items()}
    assert learning.elbo_gradients(model, state, x, np.random.default_rng(seed)) == value
    for kk, before in g0.items():
        np.testing.assert_array_equal(state.grads[kk], before)


# -- ELBO, score function (binary latents) ----------------------------------------------------------
def exact_elbo(model, params, x):
    """(1/n) sum_i sum_z q(z|x_i) [log p(x_i, z) - log q(z|x_i)] over all z in {0,1}^k."""
    Z = model.enumerate_latents()
    total = 0.0
    for xi in x:
        xs = np.repeat(xi[None], len(Z), 0)
        lq = model.log_q(params, xs, Z)
        total += float(np.exp(lq) @ (model.log_joint(params, xs, Z) - lq))
    return total / len(x)


def exact_elbo_gradient(model, params, x, entropy=True):
    """d/d(decoder, encoder) of the exact ELBO (or, with entropy=False, of E_q log p(x, z) only)."""
    def f(p):
        if entropy:
            return exact_elbo(model, p, x)
        Z = model.enumerate_latents()
        return np.mean([float(np.exp(model.log_q(p, np.repeat(xi[None], len(Z), 0), Z))
                              @ model.log_joint(p, np.repeat(xi[None], len(Z), 0), Z)) for xi in x])
    return np.concatenate([fd_gradient(lambda v, nm=nm: f(with_net(params, nm, v)), params[nm])
                           for nm in ("decoder", "encoder")])


# 53 coordinates (decoder 27, encoder 26); a two-sided z-threshold of 4.5 gives a family-wise
# false-alarm probability < 53 * 6.8e-6 = 3.6e-4 (Bonferroni) for an unbiased estimator. The SE is
# the sample standard deviation of the R draws over sqrt(R); R = 3000 makes it accurate to ~2%.
Z_SF, R_SF = 4.5, 3000


@pytest.mark.parametrize("samples", [2, 4])
def test_score_function_elbo_gradient_is_unbiased(samples):
    model = nn.VAE(3, nn.priors.UniformBits(2), hidden=(4,))
    state = learning.init(model, seed=6, dtype=np.float64)
    params, rng = model_params(model, 6, scale=1.0)     # q far from uniform: the entropy term matters
    for k in params:
        state.params[k][:] = params[k]
    x = np.array([[1.0, 0.0, 1.0], [0.0, 0.0, 1.0], [1.0, 1.0, 1.0]])
    draws = np.empty((R_SF, sum(v.size for v in params.values())))
    for r in range(R_SF):
        learning.elbo_gradients(model, state, x, rng, samples=samples)
        draws[r] = np.concatenate([state.grads["decoder"], state.grads["encoder"]])
    mean, se = draws.mean(0), draws.std(0, ddof=1) / np.sqrt(R_SF)
    assert np.all(se > 0)
    z = (mean - exact_elbo_gradient(model, state.params, x)) / se
    assert np.abs(z).max() < Z_SF, z
    # the test has power: the gradient of E_q log p(x, z) alone (the entropy term dropped, a
    # plausible bug) is rejected by the same threshold
    z_wrong = (mean - exact_elbo_gradient(model, state.params, x, entropy=False)) / se
    assert np.abs(z_wrong).max() > 3 * Z_SF, np.abs(z_wrong).max()


def test_fused_score_function_elbo_equals_the_generic_one_draw_for_draw():
    """The one-layer ELBO runs the encoder once on the distinct images; with the same generator
    state it must give the generic estimator's gradient (same uniforms, hence same codes)."""
    from expfam_nash.neural.learning import _elbo_score_generic, _elbo_score_one_layer

    model = nn.VAE(5, nn.priors.UniformBits(3), hidden=(6,))
    rng = np.random.default_rng(4)
    x = (rng.random((7, 5)) < 0.5).astype(float)
    results = []
    for fn in (_elbo_score_one_layer, _elbo_score_generic):
        state = nn.learning.init(model, 1, dtype=np.float64)
        value = fn(model, state, x, np.random.default_rng(9), 3)
        results.append((value, state.grads))
    assert results[0][0] == pytest.approx(results[1][0], rel=1e-12)
    for name in results[0][1]:
        np.testing.assert_allclose(results[0][1][name], results[1][1][name], rtol=1e-10, atol=1e-13)
