"""From closed-form branches to engine parameters: the one-mode games (``scalar_game``) and the full
network game of a collapse problem at an assembled equilibrium (``equilibrium_params``).

Layouts are those of ``game.network.builders`` (natural parameters: a fixed-variance factor's block
is its mean map; a learned one's is [mean map / v | -1 / (2 v)]). Modes follow the eigenvectors Q of
the data moment (VAE, HVAE: A; CVAE: the residual E), latent j on mode j:

    VAE:  U = Q_k diag(u), W = diag(w) Q_k';      CVAE: U1 = Q_k diag(u), W2 = diag(w) Q_k', U2 = B, W1 = -W2 B
    HVAE: U1 = Q_d1 diag(u1), W1 = diag(w1) Q_d1', U2 = diag(u2) (d1 x d2), W2 = diag(w2) (d2 x d1)
"""
from __future__ import annotations

import numpy as np

from ..game import Params
from ..game.network import NetworkGame, hvae_game, vae_game
from .game_theory import Branch

__all__ = ["encoder_block", "scalar_game", "scalar_params", "equilibrium_params"]


def encoder_block(W: np.ndarray, var: np.ndarray, learned: bool) -> np.ndarray:
    """[W / v | -1/(2 v)] (learned) or W (fixed)."""
    return np.column_stack([W / var[:, None], -0.5 / var]) if learned else W


def scalar_game(model: str, lam: float, e: float, s: float, var: float | None, v2: float | None = None) -> NetworkGame:
    """The one-mode game: VAE (CVAE: on an eigenvalue of E) with encoder variance ``var``; HVAE with
    sigma1^2 = ``var`` and level-2 variance ``v2`` (None: learned)."""
    if model == "hvae":
        return hvae_game(np.array([[lam]]), (1, 1), np.sqrt(var), None if v2 is None else np.sqrt(v2), np.sqrt(e),
                         np.sqrt(s))
    return vae_game(np.array([[lam]]), 1, np.sqrt(e), np.sqrt(s), var)


def scalar_params(model: str, branch: Branch, learned: bool) -> Params:
    """The branch's parameters in ``scalar_game`` (``learned``: the (level-2) encoder variance)."""
    if model == "hvae":
        (u1, u2), (w1, w2), (_, v2) = branch.decoder, branch.encoder, branch.variance
        level2 = encoder_block(np.array([[w2]]), np.array([v2]), learned)
        phi = np.zeros((2, 1 + level2.shape[1]))
        phi[0, 0], phi[1, 1:] = w1, level2[0]
        return Params(np.array([[u1, 0.0], [0.0, u2]]), phi)
    return Params(np.array([[branch.decoder[0]]]),
                  encoder_block(np.array([[branch.encoder[0]]]), np.array([branch.variance[0]]), learned))


def _pad(values, n: int) -> np.ndarray:
    out = np.zeros(n)
    m = min(n, len(values))
    out[:m] = np.asarray(values, float)[:m]
    return out


def equilibrium_params(model: str, vecs: np.ndarray, branches: list[Branch], dims: dict, learned: bool,
                       B: np.ndarray | None = None) -> Params:
    """Full-game parameters with latent j on mode j (``branches[j]``, one per latent / level-1 latent);
    ``vecs``: eigenvectors (columns, descending) of A (VAE, HVAE) or E (CVAE); ``B``: Cyx Cxx^+ (CVAE)."""
    get = lambda level, field: np.array([getattr(b, field)[level] for b in branches])
    k = len(branches)
    Q = np.zeros((vecs.shape[0], k))
    Q[:, :min(k, vecs.shape[1])] = vecs[:, :k]
    if model in ("vae", "cvae"):
        U = Q * get(0, "decoder")[None, :]
        W = get(0, "encoder")[:, None] * Q.T
        if model == "vae":
            return Params(U, encoder_block(W, get(0, "variance"), learned))
        return Params(np.hstack([U, B]), encoder_block(np.hstack([-W @ B, W]), get(0, "variance"), learned))
    d1, d2 = dims["d1"], dims["d2"]
    m = min(d1, d2)
    U1, W1 = Q * get(0, "decoder")[None, :], get(0, "encoder")[:, None] * Q.T
    U2, W2 = np.zeros((d1, d2)), np.zeros((d2, d1))
    U2[np.arange(m), np.arange(m)] = get(1, "decoder")[:m]
    W2[np.arange(m), np.arange(m)] = get(1, "encoder")[:m]
    var2 = np.full(d2, dims["prior_var"] if learned else dims["v2"])
    var2[:m] = get(1, "variance")[:m]
    enc2 = encoder_block(W2, var2, learned)
    D = vecs.shape[0]
    theta = np.zeros((D + d1, d1 + d2))
    theta[:D, :d1], theta[D:, d1:] = U1, U2
    phi = np.zeros((d1 + d2, D + enc2.shape[1]))
    phi[:d1, :D], phi[d1:, D:] = W1, enc2
    return Params(theta, phi)
