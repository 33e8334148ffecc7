"""Learning rules as pure ``init`` / ``step`` pairs: symmetric equilibrium learning and the
ELBO baseline, both driving Adam on the same networks.

**Symmetric** (the paper's method; THEORY.md section 2). Per step, with the current parameters,

    decoder:  ascend (1-alpha) mean_{x ~ data, z ~ q(z|x)} log p(x, z) + alpha mean_{(x,y) labelled, z ~ q} log p(x, y, z)
    encoder:  ascend (1-alpha) mean_{z ~ pi, x ~ p(x|z)} log q(z|x)    + alpha mean_{(x,y) labelled} log q(y|x)

Each player differentiates only its own log-density; samples are constants (nothing is
differentiated through a sampler), so a step is two forward passes for sampling plus one
forward/backward per player. Both gradients are taken at the same parameters, then both
players move (simultaneous play).

**ELBO** E_q[log p(x, z) - log q(z|x)]:

* Gaussian latents, prior N(0, I): reparametrised gradient z = mu + sigma eps, KL in closed form.
  Unbiased while the encoder's log-variance stays inside its clip range [log 1e-4, log 1e4]
  (outside it, the gradient at the clipped value is passed straight through).
* A labelled prior (class x bits or x Gaussian) has a product head: its ELBO uses the
  score-function estimator below (unbiased, higher variance); labelled pairs are a symmetric-
  learning feature.
* Binary / categorical latents (one- or two-layer): the decoder's gradient is exact given the
  samples; the encoder's is the score-function estimator with a leave-one-out baseline:
  S samples z_s ~ q(z|x) per x and signal f_s = log p(x, z_s) - log q(z_s|x),
  grad = 1/S sum_s (f_s - mean_{t != s} f_t) grad log q(z_s|x). The baseline does not depend
  on z_s, so the estimator is unbiased (the dropped term -E_q grad log q is zero). The one
  documented bias: with the ladder encoder, the decoder's p(z1|z0) net is used by q but gets no
  gradient through q (as in symmetric learning).

``step`` updates the arrays of ``state`` in place (for speed) and returns ``(state, info)``; the
random numbers come only from the ``rng`` it is given. ``LEARNING_METHODS`` registers both rules
(the CLI's ``--method`` choices and ``TrainConfig.method``).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..core import threads
from ..core.jsonable import jsonable
from ..core.registry import Registry
from ..core.validation import check_int, check_nonnegative, check_positive, check_unit_interval
from . import heads as H
from . import kernels as K
from .protocol import HeadModel

LEARNING_METHODS: Registry = Registry("learning method")


@dataclass(frozen=True)
class Adam:
    """Adam hyper-parameters; ``rho`` is the L2 weight of THEORY.md (ascent on L - rho/2 |w|^2)."""

    lr: float = 1e-3
    b1: float = 0.9
    b2: float = 0.999
    eps: float = 1e-8
    rho: float = 0.0

    def __post_init__(self):
        check_positive(self.lr, "lr")
        check_positive(self.eps, "eps")
        check_nonnegative(self.rho, "rho")
        for name in ("b1", "b2"):
            v = getattr(self, name)
            if check_nonnegative(v, name) >= 1:
                raise ValueError(f"{name}: expected a number in [0, 1), got {v}")


@dataclass
class LearnerState:
    """Parameters and Adam moments, one flat vector per network; ``step`` counts completed steps."""

    params: dict
    m: dict
    v: dict
    grads: dict = field(repr=False)
    step: int = 0


@dataclass(frozen=True)
class LearningInfo:
    """What one learning step measured: each player's mean log-density on its own training pairs
    (symmetric learning) or the batch's ELBO estimate."""

    step: int
    decoder_ll: float
    encoder_ll: float
    elbo: float = float("nan")

    def to_dict(self) -> dict:
        return jsonable({"step": self.step, "decoder_ll": self.decoder_ll, "encoder_ll": self.encoder_ll,
                         "elbo": self.elbo})

    def summary(self) -> str:
        return (f"step {self.step}: decoder {self.decoder_ll:.4g}, encoder {self.encoder_ll:.4g}, "
                f"ELBO {self.elbo:.4g}")


#: the older name of :class:`LearningInfo` (kept for code written against it; ``dynamics.StepInfo``
#: is the step record of the game's algorithms)
StepInfo = LearningInfo


def init(model, seed=None, dtype=np.float32) -> LearnerState:
    params = model.init(seed, dtype)
    return LearnerState(params, model.zeros_like(params), model.zeros_like(params), model.zeros_like(params))


def _adam(state: LearnerState, names, opt: Adam) -> None:
    t = state.step + 1
    for n in names:
        K.adam_ascent(state.params[n], state.grads[n], state.m[n], state.v[n], opt.lr, opt.b1, opt.b2, opt.eps,
                      t, opt.rho)


def _largest_product(model, rows: int) -> int:
    """Flops of the model's largest matrix product over ``rows`` rows (decides the BLAS threads)."""
    nets = getattr(model, "nets", {})
    return max((net.spec.largest_product(rows) for net in nets.values() if hasattr(net, "spec")), default=0)


def _check_batch(x, model, rng) -> None:
    if not isinstance(x, np.ndarray) or x.ndim != 2 or x.shape[1] != model.data_dim or x.shape[0] < 1:
        raise ValueError(f"x: expected an array of shape (n >= 1, {model.data_dim}), got {getattr(x, 'shape', x)!r}")
    if x.dtype.kind not in "biuf":
        raise ValueError(f"x: expected real numbers, got values of type {x.dtype}")
    if not np.all(np.isfinite(x)):
        raise ValueError("x: contains NaN or infinite values")
    H.check_data(getattr(model, "p_head", None), x, "x")
    if not isinstance(rng, np.random.Generator):
        raise ValueError(f"rng: expected a numpy.random.Generator, got {type(rng).__name__}")


def _check_labelled(labelled, model) -> None:
    """(x, y) with x of shape (n >= 1, data_dim) and y one-hot rows over the model's classes."""
    k = getattr(model, "n_classes", 0)
    if not k:
        raise ValueError("labelled: the model has no class-label part (give it a prior "
                         "Product((UniformClasses(K), ...)))")
    try:
        xl, yl = labelled
    except (TypeError, ValueError):
        raise ValueError("labelled: expected a pair (x, y_onehot)") from None
    _check_batch(np.asarray(xl), model, np.random.default_rng(0))
    yl = np.asarray(yl)
    if yl.shape != (xl.shape[0], k) or not np.all((yl == 0) | (yl == 1)) or not np.all(yl.sum(1) == 1):
        raise ValueError(f"labelled: expected y as one-hot rows of shape ({xl.shape[0]}, {k}), got shape {yl.shape}")


def symmetric_gradients(model, state: LearnerState, x, rng, *, labelled=None, alpha: float = 0.0,
                        prior_batch: int | None = None) -> tuple[float, float]:
    """Fill ``state.grads`` with both players' pseudo-gradients at the current parameters.

    Returns the decoder's and encoder's mean log-density on their training pairs."""
    p = state.params
    n = x.shape[0]
    nz = n if prior_batch is None else check_int(prior_batch, "prior_batch")
    # decoder: x from the data, z ~ q(z|x)
    z = model.encode(p, x, rng)
    rows_x, rows_z, w_dec = x, z, np.full(n, (1 - alpha) / n)
    # encoder: z ~ pi, x ~ p(x|z)
    z_gen, x_gen = model.generate(p, nz, rng)
    rows_xq, rows_zq, w_enc = x_gen, z_gen, np.full(nz, (1 - alpha) / nz)
    label_rows = None
    if labelled is not None and alpha > 0:
        xl, yl = labelled
        nl = xl.shape[0]
        zl = model.encode(p, xl, rng, labels=yl)
        rows_x = np.concatenate([x, xl])
        rows_z = np.concatenate([z, zl])
        w_dec = np.concatenate([w_dec, np.full(nl, alpha / nl)])
        rows_xq = np.concatenate([x_gen, xl])
        rows_zq = np.concatenate([z_gen, zl])
        w_enc = np.concatenate([w_enc, np.full(nl, alpha / nl)])
        label_rows = np.concatenate([np.zeros(nz, bool), np.ones(nl, bool)])
    ll_p = model.decoder_grad(p, rows_x, rows_z, w_dec, state.grads)
    ll_q = model.encoder_grad(p, rows_xq, rows_zq, w_enc, state.grads, label_rows=label_rows)
    return float(ll_p[:n].mean()), float(ll_q[:nz].mean())


@LEARNING_METHODS.register("symmetric", help="symmetric equilibrium learning: each player fits its own "
                                             "conditional on samples drawn by the other")
def symmetric_step(model, state: LearnerState, x, rng, *, opt: Adam = Adam(), labelled=None,
                   alpha: float = 0.0) -> tuple[LearnerState, LearningInfo]:
    """One simultaneous step of symmetric equilibrium learning (see the module docstring)."""
    _check_batch(x, model, rng)
    check_unit_interval(alpha, "alpha")
    if alpha > 0 and labelled is None:
        raise ValueError("labelled: alpha > 0 needs labelled pairs (x, y_onehot)")
    if alpha > 0:
        _check_labelled(labelled, model)
    with threads.blas(_largest_product(model, x.shape[0])):
        ll_p, ll_q = symmetric_gradients(model, state, x, rng, labelled=labelled, alpha=alpha)
    _adam(state, model.players["decoder"] + model.players["encoder"], opt)
    state.step += 1
    return state, LearningInfo(state.step, ll_p, ll_q)


# -- ELBO -------------------------------------------------------------------------------------
def elbo_gradients(model, state: LearnerState, x, rng, *, samples: int = 2) -> float:
    """Fill ``state.grads`` with ELBO gradients (ascent); returns the batch's mean ELBO estimate."""
    if not model.has_prior_density:
        raise ValueError("method: the ELBO needs a prior with a density; an implicit prior works only "
                         "with symmetric learning")
    if isinstance(getattr(model, "q_head", None), H.GaussianLogVariance):
        return _elbo_reparam(model, state, x, rng)
    check_int(samples, "samples", minimum=2)
    if isinstance(model, HeadModel) and "encoder" in model.nets:
        return _elbo_score_one_layer(model, state, x, rng, samples)
    return _elbo_score_generic(model, state, x, rng, samples)


def _elbo_score_generic(model, state: LearnerState, x, rng, samples: int) -> float:
    """The score-function estimator through the model interface (any latent structure)."""
    p = state.params
    n = x.shape[0]
    xs = np.repeat(x, samples, axis=0)
    z = model.encode(p, xs, rng)
    w = np.full(n * samples, 1.0 / (n * samples))
    log_pxz = model.decoder_grad(p, xs, z, w, state.grads) + model.log_prior(z)
    # encoder: log q(z|x) first with unit weights to get f, then the weighted backward
    log_q = model.log_q(p, xs, z)
    f = (log_pxz - log_q).reshape(n, samples)
    baseline = (f.sum(1, keepdims=True) - f) / (samples - 1)
    model.encoder_grad(p, xs, z, ((f - baseline) / (n * samples)).ravel(), state.grads)
    return float(f.mean())


def _elbo_score_one_layer(model, state: LearnerState, x, rng, samples: int) -> float:
    """The score-function estimator above for one latent layer, with one encoder pass on the n
    distinct images: the S gradient rows of each image are summed before a single backward."""
    p = state.params
    n = x.shape[0]
    enc = model.nets["encoder"]
    o, cache = enc.forward(p["encoder"], np.ascontiguousarray(x, dtype=p["encoder"].dtype))
    o_rep = np.repeat(o, samples, axis=0)
    z = model.q_head.sample(o_rep, rng)
    xs = np.repeat(x, samples, axis=0)
    w = np.full(n * samples, 1.0 / (n * samples))
    log_pxz = model.decoder_grad(p, xs, z, w, state.grads) + model.log_prior(z)
    g = np.empty_like(o_rep)
    log_q = model.q_head.log_prob(o_rep, z, g)
    f = (log_pxz - log_q).reshape(n, samples)
    baseline = (f.sum(1, keepdims=True) - f) / (samples - 1)
    g *= ((f - baseline) / (n * samples)).reshape(-1, 1).astype(g.dtype)
    enc.backward(p["encoder"], cache, np.ascontiguousarray(g.reshape(n, samples, -1).sum(1)), state.grads["encoder"])
    return float(f.mean())


def _elbo_reparam(model, state: LearnerState, x, rng) -> float:
    """Gaussian latents: z = mu + exp(s/2) eps; d/d(mu, s) of log p(x|z) through z, KL exact."""
    p = state.params
    n, k = x.shape[0], model.latent_dim
    enc, dec = model.nets["encoder"], model.nets["decoder"]
    o, cache_q = enc.forward(p["encoder"], np.ascontiguousarray(x, dtype=p["encoder"].dtype))
    mu, s = o[:, :k].astype(np.float64), np.clip(o[:, k:].astype(np.float64), *H.LOGVAR_RANGE)
    eps = rng.standard_normal((n, k))
    sigma = np.exp(0.5 * s)
    z = (mu + sigma * eps).astype(o.dtype)
    out, cache_p = dec.forward(p["decoder"], z)
    g = np.empty_like(out)
    ll = model.p_head.log_prob(out, np.ascontiguousarray(x, dtype=out.dtype), g, 1.0 / n)
    gz = dec.backward(p["decoder"], cache_p, g, state.grads["decoder"], input_grad=True)
    kl = 0.5 * (mu * mu + np.exp(s) - 1 - s).sum(1)
    g_mu = gz - mu / n
    g_s = gz * 0.5 * sigma * eps - 0.5 * (np.exp(s) - 1) / n
    enc.backward(p["encoder"], cache_q, np.ascontiguousarray(np.concatenate([g_mu, g_s], 1), dtype=o.dtype),
                 state.grads["encoder"])
    return float((ll - kl).mean())


@LEARNING_METHODS.register("elbo", help="the ELBO baseline: reparametrised (Gaussian latents) or score-function "
                                        "(discrete latents) gradients")
def elbo_step(model, state: LearnerState, x, rng, *, opt: Adam = Adam(), samples: int = 2
              ) -> tuple[LearnerState, LearningInfo]:
    """One ELBO ascent step on both networks (see the module docstring for the estimators)."""
    _check_batch(x, model, rng)
    with threads.blas(_largest_product(model, x.shape[0] * samples)):
        elbo = elbo_gradients(model, state, x, rng, samples=samples)
    _adam(state, model.players["decoder"] + model.players["encoder"], opt)
    state.step += 1
    return state, LearningInfo(state.step, float("nan"), float("nan"), elbo)
