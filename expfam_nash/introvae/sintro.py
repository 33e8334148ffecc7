"""The beta-VAE step (the VAE baseline and S-IntroVAE's warm-up) and the Soft-IntroVAE step with
the prior as an optional third player (seed 002; ``docs/introvae.md``).

With s = 1 / data dimension, Rec(a, b) = |a - b|^2, KL(u) = KL(q(.|u) || P) (Monte Carlo, M samples)
and E_neg(u) = beta_rec Rec(u, D(z')) + beta_neg KL(u), z' ~ q(.|u):

    VAE:  L = beta_rec mean Rec(x, D(z)) + beta_kl mean KL(x)        (all players descend together)
    E:    L_E = s [beta_kl mean KL(x) + beta_rec mean Rec(x, rec)]
                + (1/(2a)) [mean exp(-a s E_neg(fake)) + mean exp(-a s E_neg(rec))] + s lambda_resp NegEnt
    D, P: L_D = s [beta_rec mean Rec(x, rec) + beta_kl mean KL_P(q(.|x) held)
                   + (beta_kl/2) (mean KL_Pbar(rec) + mean KL_Pbar(fake))
                   + (gamma_r beta_rec / 2) (mean Rec(rec, D(z~q(.|rec))) + mean Rec(fake, D(z~q(.|fake))))]

rec = D(z), z ~ q(.|x) of the encoder step (D is not yet updated then, so the decoder step
reuses that forward pass); fake = D(z_p), z_p ~ P, fresh in each step, reparametrised per chosen
component in the decoder step when the prior learns. Each step computes every gradient at the
current parameters, checks that the loss and gradients are finite (else FloatingPointError,
before any parameter moves), then takes its players' Adam steps.
"""
from __future__ import annotations

import numpy as np

from . import networks as N
from . import priors as P
from .config import IntroConfig
from .objectives import mc_kl, neg_entropy, responsibility_grad
from .state import IntroState, adam_descend

S = 0.5   # 1 / data dimension


def _zero(state: IntroState, *names: str) -> None:
    for k in names:
        for key in state.player_keys(k):
            state.grads[key][:] = 0.0


def check_finite(state: IntroState, players, **losses) -> None:
    """FloatingPointError naming the first non-finite loss or gradient (nothing is updated yet)."""
    for name, value in losses.items():
        if not np.isfinite(value):
            raise FloatingPointError(f"{name} is {value} at step {state.step}")
    for player in players:
        for key in state.player_keys(player):
            if not np.isfinite(np.sum(state.grads[key], dtype=np.float64)):
                raise FloatingPointError(f"the gradient of {key} is not finite at step {state.step}")


def _eps(rng, shape, dtype) -> np.ndarray:
    return rng.standard_normal(shape, dtype=dtype)


def vae_step(config: IntroConfig, state: IntroState, nets: dict, x: np.ndarray, rng) -> dict:
    """One beta-VAE step of encoder, decoder and (unless N(0, I)) prior; returns the step's values."""
    p, d, B = state.params, config.latent_dim, x.shape[0]
    dt = p["encoder"].dtype.type
    pv = P.view(state.stage, p, nets, d, state.clip_bounds)
    learn_prior = state.stage != "normal"
    o, cache_e = N.forward(nets["encoder"], p["encoder"], x)
    mu, lv = N.split_gaussian(o, d)
    eps = _eps(rng, (B, d), np.float64)
    out, cache_d = N.forward(nets["decoder"], p["decoder"], N.reparametrise(mu, lv, eps))
    rec = N.reconstruction(x, out)
    kl = mc_kl(mu, lv, _eps(rng, (B, config.mc_samples, d), dt), pv,
               prior_weights=np.full(B, config.beta_kl / B) if learn_prior else None)
    loss = config.beta_rec * rec.mean() + config.beta_kl * kl.kl.mean()
    _zero(state, "encoder", "decoder", "prior")
    gz = N.backward_add(nets["decoder"], p["decoder"], cache_d, config.beta_rec / B * N.reconstruction_grad(x, out),
                        state.grads["decoder"], state.scratch["decoder"], input_grad=True)
    g_mu, g_lv = N.reparam_grad(gz.astype(np.float64), lv, eps)
    g = np.concatenate([g_mu + config.beta_kl / B * kl.g_mu, g_lv + config.beta_kl / B * kl.g_lv], axis=1)
    N.backward_add(nets["encoder"], p["encoder"], cache_e, g, state.grads["encoder"], state.scratch["encoder"])
    players = ["encoder", "decoder"]
    if learn_prior:
        P.chain(state.stage, pv, p, nets, state.grads, state.scratch, kl.g_means, kl.g_logvars, kl.g_logw)
        players.append("prior")
    check_finite(state, players, loss=loss)
    for player in players:
        adam_descend(state, player, config.lr_at(state.step, config.learning_rate_prior if player == "prior" else None))
    return {"loss": loss, "rec": float(rec.mean()), "kl": float(kl.kl.mean())}


def _encoder_phase(config: IntroConfig, state: IntroState, nets: dict, x, rng, pv) -> tuple[dict, dict]:
    """The encoder's step; returns the step's values and what the decoder step reuses."""
    p, d, B, M = state.params, config.latent_dim, x.shape[0], config.mc_samples
    dt = p["encoder"].dtype.type
    enc, dec = nets["encoder"], nets["decoder"]
    zp = P.sample(pv, B, rng)[0]
    o, cache_e = N.forward(enc, p["encoder"], x)
    mu, lv = N.split_gaussian(o, d)
    eps = _eps(rng, (B, d), np.float64)
    out, cache_d = N.forward(dec, p["decoder"], np.concatenate([zp, N.reparametrise(mu, lv, eps)]))
    rec = out[B:]                                                    # out[:B] = fake
    o2, cache_e2 = N.forward(enc, p["encoder"], out)                  # [fake; rec], held constant
    mu2, lv2 = N.split_gaussian(o2, d)
    eps2 = _eps(rng, (2 * B, d), np.float64)
    out2, cache_d2 = N.forward(dec, p["decoder"], N.reparametrise(mu2, lv2, eps2))
    eps_kl = _eps(rng, (B, M, d), dt)
    want_r = pv.n_components > 1
    kl = mc_kl(mu, lv, eps_kl, pv, want_rbar=want_r)
    kl2 = mc_kl(mu2, lv2, _eps(rng, (2 * B, M, d), dt), pv)
    rec_real, rec2 = N.reconstruction(x, rec), N.reconstruction(out, out2)
    a = config.exp_scale
    expo = np.exp(-a * S * (config.beta_rec * rec2 + config.beta_neg * kl2.kl))
    neg_ent, c = neg_entropy(kl.rbar) if want_r else (0.0, None)
    loss = (S * (config.beta_kl * kl.kl.mean() + config.beta_rec * rec_real.mean())
            + (expo[:B].mean() + expo[B:].mean()) / (2 * a) + S * config.lambda_resp * neg_ent)
    # gradients: the exponential terms (through D(z') into q(.|fake), q(.|rec)), then the real terms
    w_neg = -(S / (2 * B)) * expo                                       # dL_E / dE_neg per row
    g_out2 = (w_neg * config.beta_rec)[:, None] * N.reconstruction_grad(out, out2)
    gz2 = N.input_grad(dec, p["decoder"], cache_d2, g_out2).astype(np.float64)
    g_mu2, g_lv2 = N.reparam_grad(gz2, lv2, eps2)
    g_mu2 += (w_neg * config.beta_neg)[:, None] * kl2.g_mu
    g_lv2 += (w_neg * config.beta_neg)[:, None] * kl2.g_lv
    g_rec = S * config.beta_rec / B * N.reconstruction_grad(x, rec)
    gz = N.input_grad(dec, p["decoder"], N.rows(cache_d, B, 2 * B), g_rec).astype(np.float64)
    g_mu, g_lv = N.reparam_grad(gz, lv, eps)
    g_mu += S * config.beta_kl / B * kl.g_mu
    g_lv += S * config.beta_kl / B * kl.g_lv
    if config.lambda_resp > 0:
        responsibility_grad(mu, lv, eps_kl, pv, S * config.lambda_resp * c, g_mu, g_lv)
    _zero(state, "encoder")
    N.backward_add(enc, p["encoder"], cache_e, np.concatenate([g_mu, g_lv], 1), state.grads["encoder"],
                   state.scratch["encoder"])
    N.backward_add(enc, p["encoder"], cache_e2, np.concatenate([g_mu2, g_lv2], 1), state.grads["encoder"],
                   state.scratch["encoder"])
    check_finite(state, ["encoder"], loss_encoder=loss)
    adam_descend(state, "encoder", config.lr_at(state.step))
    values = {"loss_encoder": loss, "rec": float(rec_real.mean()), "kl": float(kl.kl.mean()),
              "kl_fake": float(kl2.kl[:B].mean()), "kl_rec": float(kl2.kl[B:].mean()),
              "exp_elbo_fake": float(expo[:B].mean()), "exp_elbo_rec": float(expo[B:].mean())}
    if want_r:
        values["neg_entropy"] = neg_ent
    return values, {"mu": mu, "lv": lv, "rec": rec, "cache_rec": N.rows(cache_d, B, 2 * B)}


def _decoder_phase(config: IntroConfig, state: IntroState, nets: dict, x, rng, pv, held: dict) -> dict:
    """The decoder's (and the learnable prior's) step, the encoder frozen."""
    p, d, B, M = state.params, config.latent_dim, x.shape[0], config.mc_samples
    dt = p["encoder"].dtype.type
    enc, dec = nets["encoder"], nets["decoder"]
    learn_prior = state.stage == "mog" and config.train_prior
    zp, idx, eps_p = P.sample(pv, B, rng)
    fake, cache_f = N.forward(dec, p["decoder"], zp)
    rec = held["rec"]
    o, cache_e = N.forward(enc, p["encoder"], np.concatenate([rec, fake]))
    mu2, lv2 = N.split_gaussian(o, d)
    eps2 = _eps(rng, (2 * B, d), np.float64)
    kl_real = None
    if learn_prior:
        kl_real = mc_kl(held["mu"], held["lv"], _eps(rng, (B, M, d), dt), pv, q_grad=False,
                        prior_weights=np.full(B, S * config.beta_kl / B))
    kl2 = mc_kl(mu2, lv2, _eps(rng, (2 * B, M, d), dt), pv)
    rec_real = N.reconstruction(x, rec)
    loss = S * (config.beta_rec * rec_real.mean() + config.beta_kl / 2 * (kl2.kl[:B].mean() + kl2.kl[B:].mean()))
    if kl_real is not None:
        loss += S * config.beta_kl * kl_real.kl.mean()
    _zero(state, "decoder", "prior")
    if config.gamma_r > 0:
        u = np.concatenate([rec, fake])
        out_g, cache_g = N.forward(dec, p["decoder"], N.reparametrise(mu2, lv2, eps2))
        rec_g = N.reconstruction(u, out_g)
        loss += S * config.gamma_r * config.beta_rec / 2 * (rec_g[:B].mean() + rec_g[B:].mean())
        N.backward_add(dec, p["decoder"], cache_g, S * config.gamma_r * config.beta_rec / (2 * B)
                       * N.reconstruction_grad(u, out_g), state.grads["decoder"], state.scratch["decoder"])
    w = S * config.beta_kl / (2 * B)
    g_in = N.input_grad(enc, p["encoder"], cache_e, np.concatenate([w * kl2.g_mu, w * kl2.g_lv], 1))
    g_rec = S * config.beta_rec / B * N.reconstruction_grad(x, rec) + g_in[:B]
    N.backward_add(dec, p["decoder"], held["cache_rec"], g_rec, state.grads["decoder"], state.scratch["decoder"])
    g_zp = N.backward_add(dec, p["decoder"], cache_f, g_in[B:], state.grads["decoder"], state.scratch["decoder"],
                          input_grad=learn_prior)
    players = ["decoder"]
    if learn_prior:
        g_mu_s, g_lv_s = P.sample_grad(pv, idx, eps_p, g_zp.astype(np.float64))
        P.chain("mog", pv, p, nets, state.grads, state.scratch, kl_real.g_means + g_mu_s,
                kl_real.g_logvars + g_lv_s, kl_real.g_logw)
        players.append("prior")
    check_finite(state, players, loss_decoder=loss)
    for player in players:
        adam_descend(state, player, config.lr_at(state.step, config.learning_rate_prior if player == "prior" else None))
    values = {"loss_decoder": loss}
    if kl_real is not None:
        values["kl_prior"] = float(kl_real.kl.mean())
    return values


def sintro_step(config: IntroConfig, state: IntroState, nets: dict, x: np.ndarray, rng) -> dict:
    """One S-IntroVAE iteration: the encoder step, then the decoder's (and the prior's)."""
    pv = P.view(state.stage, state.params, nets, config.latent_dim, state.clip_bounds)
    values, held = _encoder_phase(config, state, nets, x, rng, pv)
    values.update(_decoder_phase(config, state, nets, x, rng, pv, held))
    return values
