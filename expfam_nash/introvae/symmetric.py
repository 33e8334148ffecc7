"""Symmetric equilibrium learning with the prior as a third player, on the benchmark's networks.

Per step, every gradient at the current parameters, then all players move (simultaneous play);
samples are constants (nothing is differentiated through a sampler):

    decoder: max mean_{x ~ data, z ~ q(z|x)} log N(x; D(z), diag exp(s))
    encoder: max mean_{z ~ P, x ~ N(D(z), diag exp(s))} log q(z|x),  q(z|x) = N(mu(x), diag exp(lv(x)))
    prior:   max mean_{x ~ data, z ~ q(z|x)} log P(z)       (mixture 'mog:K'; N(0, I) is imposed)

The decoder needs a variance to be a density, and so does the encoder's sampling of x: ``s`` is
the per-dimension log-variance ``decoder.logvar``, learned by the decoder as part of its own
likelihood (its best response is the mean squared residual per dimension), or a fixed number
(``decoder_variance``). The benchmark's generated points are D(z) (the decoder mean), as for the
other methods.
"""
from __future__ import annotations

import numpy as np

from . import kernels as KK
from . import networks as N
from . import priors as P
from .config import IntroConfig
from .sintro import _zero, check_finite
from .state import IntroState, adam_descend

LOG_2PI = float(np.log(2 * np.pi))


def decoder_logvar(config: IntroConfig, params: dict) -> np.ndarray:
    """s per data dimension (float64)."""
    if "decoder.logvar" in params:
        return params["decoder.logvar"].astype(np.float64)
    return np.full(2, np.log(float(config.decoder_variance)))


def prior_log_likelihood(pv: P.PriorView, z: np.ndarray, weights: np.ndarray | None = None):
    """(log P(z) per row, sum_n w_n d log P(z_n) / d(mu, lv', log w) or None)."""
    n, d = z.shape
    K = pv.n_components
    logp, score = np.empty(n), np.empty((n, d))
    g_mu_T, g_lv_T, g_logw = np.empty((d, K)), np.empty((d, K)), np.empty(K)
    pg = weights is not None
    KK.mixture_logpdf(np.ascontiguousarray(z, dtype=pv.tables[0].dtype), *pv.tables,
                      np.zeros(n) if weights is None else np.asarray(weights, np.float64), False, pg, logp, score,
                      g_mu_T, g_lv_T, g_logw)
    return logp, ((g_mu_T.T, g_lv_T.T, g_logw) if pg else None)


def symmetric_step(config: IntroConfig, state: IntroState, nets: dict, x: np.ndarray, rng) -> dict:
    """One simultaneous step of the three players (module docstring)."""
    p, d, B = state.params, config.latent_dim, x.shape[0]
    enc, dec = nets["encoder"], nets["decoder"]
    pv = P.view(state.stage, p, nets, d, None)
    s = decoder_logvar(config, p)
    # decoder's pairs: x from the data, z ~ q(z|x)
    mu, lv = N.split_gaussian(N.forward(enc, p["encoder"], x)[0], d)
    z = N.reparametrise(mu, lv, rng.standard_normal((B, d)))
    out, cache_d = N.forward(dec, p["decoder"], z)
    r2 = (np.asarray(x, np.float64) - out) ** 2 * np.exp(-s)
    ll_dec = float(np.mean(np.sum(-0.5 * (r2 + s + LOG_2PI), axis=1)))
    # encoder's pairs: z ~ P, x ~ N(D(z), exp(s))
    zp = P.sample(pv, B, rng)[0]
    xg = N.forward(dec, p["decoder"], zp)[0] + np.exp(0.5 * s) * rng.standard_normal((B, 2))
    o2, cache_e = N.forward(enc, p["encoder"], xg)
    mu2, lv2 = N.split_gaussian(o2, d)
    t = (zp - mu2) ** 2 * np.exp(-lv2)
    ll_enc = float(np.mean(np.sum(-0.5 * (lv2 + t + LOG_2PI), axis=1)))
    _zero(state, "encoder", "decoder", "prior")
    N.backward_add(dec, p["decoder"], cache_d, -(np.asarray(x, np.float64) - out) * np.exp(-s) / B,
                   state.grads["decoder"], state.scratch["decoder"])
    if "decoder.logvar" in p:
        state.grads["decoder.logvar"][:] = 0.5 - 0.5 * r2.mean(0)
    g_o2 = np.concatenate([-(zp - mu2) * np.exp(-lv2) / B, -0.5 * (t - 1) / B], axis=1)
    N.backward_add(enc, p["encoder"], cache_e, g_o2, state.grads["encoder"], state.scratch["encoder"])
    players = ["encoder", "decoder"]
    values = {"decoder_ll": ll_dec, "encoder_ll": ll_enc, "decoder_variance": float(np.exp(s).mean())}
    if state.stage == "mog":
        logp, g = prior_log_likelihood(pv, z, np.full(B, -1.0 / B))     # descend -mean log P
        P.chain("mog", pv, p, nets, state.grads, state.scratch, *g)
        players.append("prior")
        values["prior_ll"] = float(logp.mean())
    check_finite(state, players, decoder_ll=ll_dec, encoder_ll=ll_enc, prior_ll=values.get("prior_ll", 0.0))
    for player in players:
        adam_descend(state, player, config.lr_at(state.step, config.learning_rate_prior if player == "prior" else None))
    return values
