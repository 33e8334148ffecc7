"""Monte Carlo estimates of the game, for every pair, including implicit data and priors.

Decoder term: x ~ pi(x), z ~ q_phi(z|x), per-sample log p_theta(x|z) and gradient
(T(x) - mu_p(theta psi(z))) psi(z)^T. Encoder term: z ~ pi(z), x ~ p_theta(x|z), mirrored.
The labelled term is estimated from its own draws (stratified): estimate =
(1-alpha) mean_unlabelled + alpha mean_labelled, with standard error
sqrt((1-alpha)^2 se_u^2 + alpha^2 se_l^2). The L2 penalty is added exactly.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..core.formatting import number
from ..kernels.samples import outer_moments
from .engine import is_network
from .params import Params
from .players import Player


def sample_width(game) -> int:
    """float64 values held per draw by an estimate (x, z, features, natural parameters, statistics;
    a network game: its phase's variables and every factor's per-draw score, about twice its
    parameters)."""
    if is_network(game):
        p = game.collapsed_point()
        return 2 * int(p.theta.size + p.phi.size) + 64
    return sum(pl.family.dim + pl.lift.n_features + 3 * pl.family.stat_dim for pl in (game.decoder, game.encoder))


def draw(player: Player, theta: np.ndarray, features: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One y ~ p_theta(y | u) per row of ``features`` = psi(u) (the family's ``draw`` hook)."""
    return player.family.draw(np.ascontiguousarray(player.natural(theta, features)), rng)


@dataclass(frozen=True)
class PlayerSamples:
    log_likelihood: np.ndarray  # per sample
    grad_mean: np.ndarray       # (m, k) full-shaped, zero off-mask
    grad_sq_mean: np.ndarray
    n: int


def player_samples(player: Player, theta: np.ndarray, y: np.ndarray, u_features: np.ndarray) -> PlayerSamples:
    """Per-sample log p(y|u) and the moments of the per-sample gradients (T(y) - mu(theta psi(u))) psi(u)^T."""
    fam = player.family
    eta = player.natural(theta, u_features)
    t = fam.sufficient_statistics(y)
    ll = fam.log_base_measure(y) + np.sum(t * eta, axis=1) - fam.log_partition(eta)
    g1, g2 = outer_moments(np.ascontiguousarray(t - fam.mean(eta)), np.ascontiguousarray(u_features))
    mask = player.mask
    return PlayerSamples(ll, g1 * mask, g2 * mask, y.shape[0])


@dataclass(frozen=True)
class SampledEstimate:
    """Monte Carlo utilities and pseudo-gradients with their standard errors."""

    utilities: tuple[float, float]
    utilities_se: tuple[float, float]
    gradient: Params
    gradient_se: Params
    n_samples: int

    def summary(self) -> str:
        (lp, lq), (sp, sq) = self.utilities, self.utilities_se
        return (f"sampled with n={self.n_samples}: L_p = {number(lp, 6)} +- {number(sp, 2)}, L_q = {number(lq, 6)} "
                f"+- {number(sq, 2)}, |grad| = {number(self.gradient.norm())}")

    def to_dict(self) -> dict:
        return {"utilities": list(self.utilities), "utilities_se": list(self.utilities_se),
                "gradient": self.gradient.to_dict(), "gradient_se": self.gradient_se.to_dict(),
                "options": {"n_samples": self.n_samples}}


def _combine(parts):
    """[(weight, mean, se)] -> (sum w mean, sqrt(sum w^2 se^2))."""
    mean = sum(w * m for w, m, _ in parts)
    se = np.sqrt(sum((w * s) ** 2 for w, _, s in parts))
    return mean, se


def _moments(ps: PlayerSamples):
    n = ps.n
    ll = ps.log_likelihood
    top = float(np.abs(ll).max(initial=0.0))
    ll_mean = float(ll.mean())
    if n < 2:
        ll_se = np.inf
    else:                                                # scaled: no overflow for values near 1e300
        ll_se = (top * float((ll / top).std(ddof=1)) if top > 0 else 0.0) / np.sqrt(n)
    var = np.clip(ps.grad_sq_mean - ps.grad_mean ** 2, 0.0, None) * n / max(n - 1, 1)
    return ll_mean, ll_se, ps.grad_mean, np.sqrt(var / n)


def estimate(game, params: Params, n_samples: int, rng: np.random.Generator) -> SampledEstimate:
    if is_network(game):        # players holding several factors: ancestral sampling
        return game.sampled_estimate(params, n_samples, rng)
    dec, enc, a = game.decoder, game.encoder, game.alpha
    th, ph = params.theta, params.phi
    dec_parts, enc_parts = [], []
    if a < 1:
        x = game.data.sample(n_samples, rng=rng)
        z = draw(enc, ph, enc.lift(x), rng)
        dec_parts.append((1 - a, _moments(player_samples(dec, th, x, dec.lift(z)))))
        z = game.prior.sample(n_samples, rng=rng)
        x = draw(dec, th, dec.lift(z), rng)
        enc_parts.append((1 - a, _moments(player_samples(enc, ph, z, enc.lift(x)))))
    if a > 0:
        x, z = game.labelled.sample(n_samples, rng=rng)
        dec_parts.append((a, _moments(player_samples(dec, th, x, dec.lift(z)))))
        enc_parts.append((a, _moments(player_samples(enc, ph, z, enc.lift(x)))))
    out = []
    for parts, player, p in ((dec_parts, dec, th), (enc_parts, enc, ph)):
        u, u_se = _combine([(w, m[0], m[1]) for w, m in parts])
        g, g_se = _combine([(w, m[2], m[3]) for w, m in parts])
        pen, dpen = player.penalty(p, game.rho)
        out.append((float(u - pen), float(u_se), g - dpen, g_se))
    (lp, sp, gp, gsp), (lq, sq, gq, gsq) = out
    return SampledEstimate((lp, lq), (sp, sq), Params(gp, gq), Params(gsp, gsq), n_samples)
