"""The data of the "ELBO vs symmetric thresholds" figure: where modes collapse under the beta-ELBO
(part 1's closed form, along beta) and in the symmetric game (which has no beta), with the game's
certified per-mode verdicts on a grid of eigenvalues.

Panels: the VAE (the CVAE is the VAE on the residual eigenvalues) with a learned and a fixed encoder
variance, along beta; the HVAE (Sigma2 learned, Sigma2 fixed at eta_enc) along beta2 with beta1 = 1.
Thresholds are on the data eigenvalue; the ELBO's meet the game's at beta = 1 (claims 13-16).
"""
from __future__ import annotations

import numpy as np

from ..core.verdict import Status
from .api import hvae, vae
from .game_model import game_model
from .problem import hvae_problem, vae_problem
from .theory import hvae_theory, vae_theory

__all__ = ["threshold_comparison"]


def _status(v) -> str:
    return {Status.CERTIFIED: "collapsed", Status.REFUTED: "active", Status.UNDECIDED: "undecided"}[v.status]


def _vae_panel(betas, grid, eta_enc, eta_dec, encoder_var) -> dict:
    elbo = [float(vae_theory(np.ones(1), 1, b, eta_enc, eta_dec, encoder_var).thresholds[0]) for b in betas]
    game = float(game_model(vae_problem(np.eye(1), 1, 1.0, eta_enc, eta_dec,
                                        "learned" if encoder_var is None else encoder_var)).thresholds()[0])
    r = vae(np.diag(grid), grid.size, eta_enc=eta_enc, eta_dec=eta_dec,
            encoder_var="learned" if encoder_var is None else encoder_var, objective="symmetric", starts=0)
    return {"model": "vae", "encoder_var": "learned" if encoder_var is None else encoder_var, "betas": list(betas),
            "elbo_threshold": elbo, "game_threshold": game, "grid": r.theory.eigenvalues.tolist(),   # modes: descending
            "game_verdicts": [_status(v) for v in r.verdicts[0]]}


def _hvae_panel(beta2s, grid, eta_enc, eta_dec, sigma1, sigma2) -> dict:
    elbo = [[float(t[0]) for t in hvae_theory(np.ones(1), (1, 1), 1.0, b2, eta_enc, eta_dec, sigma1, sigma2).thresholds]
            for b2 in beta2s]
    prob = hvae_problem(np.eye(1), (1, 1), sigma1, "learned" if sigma2 is None else sigma2, 1.0, 1.0, eta_enc, eta_dec)
    game = [float(t[0]) for t in game_model(prob).thresholds()]
    verdicts = []
    for lam in grid:
        r = hvae(np.array([[lam]]), (1, 1), sigma1, "learned" if sigma2 is None else sigma2, eta_enc=eta_enc,
                 eta_dec=eta_dec, objective="symmetric", starts=0)
        verdicts.append([_status(row[0]) for row in r.verdicts])
    return {"model": "hvae", "sigma2": "learned" if sigma2 is None else sigma2, "sigma1": sigma1, "beta2s": list(beta2s),
            "elbo_threshold": elbo, "game_threshold": game, "grid": grid.tolist(), "game_verdicts": verdicts}


def threshold_comparison(eta_enc: float = 0.5, eta_dec: float = 0.5, sigma1: float = 0.6, points: int = 11) -> dict:
    """Thresholds along beta (beta2) for the ELBO and the game, and the game's certified verdicts on an
    eigenvalue grid spanning the thresholds (per-mode certificates; -inf: level 2 active for every eigenvalue)."""
    betas = np.geomspace(0.1, 10.0, 41)
    s = eta_dec ** 2
    grid = np.geomspace(0.1 * s, 10.0 * s, points)
    return {"eta_enc": eta_enc, "eta_dec": eta_dec,
            "vae": [_vae_panel(betas, grid, eta_enc, eta_dec, None), _vae_panel(betas, grid, eta_enc, eta_dec, 0.5)],
            "hvae": [_hvae_panel(betas, grid, eta_enc, eta_dec, sigma1, None),
                     _hvae_panel(betas, grid, eta_enc, eta_dec, sigma1, eta_enc)]}
