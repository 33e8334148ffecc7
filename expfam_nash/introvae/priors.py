"""Priors as players: N(0, I), the VampPrior and the free mixture of K diagonal Gaussians, with
adaptive variance clipping, sampling with gradients and the chain rule back to the raw
parameters.

Parameters (in the learner state, one array per name):

* stage ``normal``: none (N(0, I) is imposed);
* stage ``vamp``: ``prior.pseudo`` (K, data_dim): component k = q(z | u_k), the encoder at
  pseudo-input u_k; stage ``mog``: ``prior.means``, ``prior.logvars`` (K, d), raw;
* with learnable weights, ``prior.logits`` (K): w = softmax(logits); otherwise w = 1/K.

Adaptive variance clipping (bounds m, M per latent dimension, recorded when warm-up ends):

    lv' = lv - sp(lv - M) + sp(m - lv),  sp(u) = log(1 + exp(b u)) / b,  b = 10 / (|M - m| + 1e-8),
    dlv'/dlv = 1 - sigmoid(b (lv - M)) - sigmoid(b (m - lv));   lv' = M (derivative 0) where M = m.

Sampling: k ~ w (categorical), z = mu_k + exp(lv'_k / 2) eps: reparametrised per chosen
component, so dz/dmu_k = 1 and dz/dlv'_k = exp(lv'_k / 2) eps / 2; the weights get no gradient
through the draw.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import expit, log_softmax, softmax

from . import kernels as KK
from . import networks as N


@dataclass(frozen=True)
class PriorView:
    """The prior as one use of it sees it: components after clipping, weights, kernel tables,
    and what the chain rule back to the raw parameters needs."""

    means: np.ndarray          # (K, d) float64
    logvars: np.ndarray        # (K, d) float64, clipped
    log_weights: np.ndarray    # (K,)
    tables: tuple              # mixture_tables in the work dtype
    clip_slope: np.ndarray | None = None     # dlv'/dlv (mog with clipping)
    vamp: tuple | None = None                # (encoder output, cache) at the pseudo-inputs

    @property
    def n_components(self) -> int:
        return self.means.shape[0]

    @property
    def weights(self) -> np.ndarray:
        return np.exp(self.log_weights)


def softplus_b(u: np.ndarray, b: np.ndarray) -> np.ndarray:
    """log(1 + exp(b u)) / b, computed stably."""
    bu = b * u
    return (np.maximum(bu, 0) + np.log1p(np.exp(-np.abs(bu)))) / b


def clip_logvar(lv: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(lv', dlv'/dlv) of the module docstring; lo, hi per latent dimension."""
    lv = np.asarray(lv, np.float64)
    b = 10.0 / (np.abs(hi - lo) + 1e-8)
    out = lv - softplus_b(lv - hi, b) + softplus_b(lo - lv, b)
    slope = 1.0 - expit(b * (lv - hi)) - expit(b * (lo - lv))
    same = np.broadcast_to(hi == lo, lv.shape)
    out = np.where(same, np.broadcast_to(hi, lv.shape), out)
    return out, np.where(same, 0.0, slope)


def log_weights(params: dict, k: int) -> np.ndarray:
    if "prior.logits" in params:
        return log_softmax(params["prior.logits"].astype(np.float64))
    return np.full(k, -np.log(k))


def view(stage: str, params: dict, nets: dict, latent_dim: int, clip_bounds=None) -> PriorView:
    """The prior of a learner state (stage 'normal', 'vamp' or 'mog')."""
    dtype = params["encoder"].dtype
    if stage == "normal":
        means, lvs, lw, slope, vamp = np.zeros((1, latent_dim)), np.zeros((1, latent_dim)), np.zeros(1), None, None
    elif stage == "vamp":
        o, cache = N.forward(nets["encoder"], params["encoder"], params["prior.pseudo"])
        means, lvs = N.split_gaussian(o, latent_dim)
        lw, slope, vamp = log_weights(params, means.shape[0]), None, (o, cache)
    else:
        means = params["prior.means"].astype(np.float64)
        lvs, slope, vamp = params["prior.logvars"].astype(np.float64), None, None
        if clip_bounds is not None:
            lvs, slope = clip_logvar(lvs, *clip_bounds)
        lw = log_weights(params, means.shape[0])
    return PriorView(means, lvs, lw, KK.mixture_tables(means, lvs, lw, dtype), slope, vamp)


def sample(pv: PriorView, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(z, component index, eps): k ~ w, z = mu_k + exp(lv_k / 2) eps (float64)."""
    K, d = pv.means.shape
    idx = np.zeros(n, dtype=np.int64) if K == 1 else rng.choice(K, size=n, p=pv.weights / pv.weights.sum())
    eps = rng.standard_normal((n, d))
    return pv.means[idx] + np.exp(0.5 * pv.logvars[idx]) * eps, idx, eps


def sample_grad(pv: PriorView, idx: np.ndarray, eps: np.ndarray, g_z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(dL/dmu, dL/dlv') (K, d) from dL/dz of the samples of :func:`sample`."""
    g_mu, g_lv = np.zeros_like(pv.means), np.zeros_like(pv.logvars)
    np.add.at(g_mu, idx, g_z)
    np.add.at(g_lv, idx, g_z * 0.5 * np.exp(0.5 * pv.logvars[idx]) * eps)
    return g_mu, g_lv


def chain(stage: str, pv: PriorView, params: dict, nets: dict, grads: dict, scratch: dict,
          g_mu: np.ndarray, g_lv: np.ndarray, g_logw: np.ndarray | None) -> None:
    """Write dL/d(raw prior parameters) into ``grads`` from dL/d(mu, lv', log w) of the view
    (``prior.*`` overwritten; for the VampPrior the encoder's share is *added* to grads['encoder'])."""
    if "prior.logits" in params and g_logw is not None:
        w = softmax(log_weights(params, len(g_logw)))
        grads["prior.logits"][:] = g_logw - w * g_logw.sum()
    elif "prior.logits" in params:
        grads["prior.logits"][:] = 0.0
    if stage == "mog":
        grads["prior.means"][:] = g_mu
        grads["prior.logvars"][:] = g_lv if pv.clip_slope is None else g_lv * pv.clip_slope
    elif stage == "vamp":
        enc = nets["encoder"]
        g_out = np.concatenate([g_mu, g_lv], axis=1)
        gx = N.backward_add(enc, params["encoder"], pv.vamp[1], g_out, grads["encoder"], scratch["encoder"],
                            input_grad=True)
        grads["prior.pseudo"][:] = gx


def init_mog_random(k: int, d: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """The reference's MoGPrior(init_mode='random'): mu ~ N(0, 1/(K d)), lv ~ N(0, 1)."""
    return rng.standard_normal((k, d)) / np.sqrt(k * d), rng.standard_normal((k, d))


def clip_bounds_of(params: dict) -> tuple[np.ndarray, np.ndarray]:
    """(m, M): the smallest and largest component log-variance per latent dimension."""
    lv = params["prior.logvars"].astype(np.float64)
    return lv.min(0), lv.max(0)
