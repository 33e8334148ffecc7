"""A collapse problem as a symmetric game: the network game of its model, the per-mode branches of
``game_theory``, the closed-form stable equilibrium as a ``Theory`` (same conventions as the ELBO's),
and the conversion of game parameters to part 1's parameter vectors (to measure them with the
same ``extract`` and to evaluate the beta = 1 ELBO there).

The game's thresholds (a mode is active at the stable equilibrium iff its eigenvalue exceeds them)
follow from the branch table of ``game_theory``: VAE/CVAE s v / e (fixed), s (learned); HVAE level 1
min(sigma1^2, s) (Sigma2 learned), sigma1 min(sigma1, sqrt(kappa)) with kappa = s sigma2^2 / e (fixed),
sigma1^2 for a mode without a level-2 latent; level 2 s^2 / sigma1^2 if sigma1^2 <= s else always active
(learned), kappa^2 / sigma1^2 if sigma1^2 <= kappa else always (fixed).
"""
from __future__ import annotations

import numpy as np

from ..game import Params
from ..game.network import NetworkGame, cvae_game, hvae_game, vae_game
from .game_params import equilibrium_params
from .game_theory import Branch, hvae_branches, stable_branch, vae_branches
from .objectives import CVAEObjective, HVAEObjective, VAEObjective
from .optimum import extract
from .solution import Theory
from .theory import THRESHOLD_RTOL

__all__ = ["GameModel", "game_model"]


class GameModel:
    """The symmetric game of a collapse ``Problem`` (model, moments, hyper-parameters; no beta)."""

    def __init__(self, problem):
        s = problem.settings
        self.problem, self.model = problem, problem.model
        self.e, self.s = s["eta_enc"] ** 2, s["eta_dec"] ** 2
        if self.model == "hvae":
            self.s1sq = s["sigma1"] ** 2
            self.v2 = None if s["sigma2"] == "learned" else s["sigma2"] ** 2
            self.learned = self.v2 is None
            self.dims = {"d1": s["latent_dims"][0], "d2": s["latent_dims"][1], "prior_var": self.e, "v2": self.v2}
        else:
            self.var = None if s["encoder_var"] == "learned" else float(s["encoder_var"])
            self.learned = self.var is None
            self.k = s["latent_dim"]

    # -- the game and its closed form ----------------------------------------------------------------
    def game(self, rho: float = 0.0) -> NetworkGame:
        p, st = self.problem, self.problem.settings
        if self.model == "vae":
            return vae_game(p.moment, self.k, st["eta_enc"], st["eta_dec"], self.var, rho)
        if self.model == "cvae":
            dx = st["dim_x"]
            C = p.moment
            return cvae_game(C[:dx, :dx], C[:dx, dx:], C[dx:, dx:], self.k, st["eta_enc"], st["eta_dec"], self.var, rho)
        return hvae_game(p.moment, (self.dims["d1"], self.dims["d2"]), st["sigma1"],
                         None if self.learned else st["sigma2"], st["eta_enc"], st["eta_dec"], rho)

    @property
    def eigenvalues(self) -> np.ndarray:
        """Per latent (level-1 latent for the HVAE) the eigenvalue of its mode (0 beyond the rank)."""
        n = self.dims["d1"] if self.model == "hvae" else self.k
        out = np.zeros(n)
        lam = self.problem.spectrum.eigenvalues
        out[:min(n, lam.size)] = lam[:n]
        return out

    def branches(self) -> list[list[Branch]]:
        """Every mode's branches (closed form)."""
        if self.model == "hvae":
            return [hvae_branches(float(lam), self.e, self.s, self.s1sq, self.v2, covered=j < self.dims["d2"])
                    for j, lam in enumerate(self.eigenvalues)]
        return [vae_branches(float(lam), self.e, self.s, self.var) for lam in self.eigenvalues]

    def thresholds(self) -> np.ndarray | tuple[np.ndarray, np.ndarray]:
        n = self.eigenvalues.size
        if self.model != "hvae":
            return np.full(n, self.s if self.learned else self.s * self.var / self.e)
        a, s = self.s1sq, self.s
        k = s if self.learned else s * self.v2 / self.e                  # the level-2 threshold on m1
        thr1 = min(a, s) if self.learned else np.sqrt(a) * min(np.sqrt(a), np.sqrt(k))
        thr2 = (s * s / a if self.learned else k * k / a) if a <= k else -np.inf
        covered = np.arange(n) < self.dims["d2"]
        t1 = np.where(covered, thr1, a)
        t2 = np.full(self.dims["d2"], np.inf)
        t2[:min(n, self.dims["d2"])] = thr2
        return t1, t2

    def stable_branches(self) -> list[Branch]:
        """Per mode the branch predicted stable (on a threshold: the collapsed one, whose stability is
        then undecided)."""
        out = []
        for brs in self.branches():
            b = stable_branch(brs)
            out.append(b if b is not None else brs[0])
        return out

    def params(self, branches: list[Branch]) -> Params:
        """Full-game parameters with latent j on mode j in ``branches[j]``."""
        p = self.problem
        B = None
        if self.model == "cvae":
            from .moments import residual_moment
            dx = p.settings["dim_x"]
            B = residual_moment(p.moment[:dx, :dx], p.moment[:dx, dx:], p.moment[dx:, dx:])[1]
        return equilibrium_params(self.model, p.spectrum.eigenvectors, branches, getattr(self, "dims", {}),
                                  self.learned, B)

    # -- part 1's measurements ------------------------------------------------------------------------
    def elbo_objective(self):
        """Part 1's objective at beta = 1 (beta1 = beta2 = 1)."""
        o = self.problem.objective
        if isinstance(o, HVAEObjective):
            return HVAEObjective(o.dim, o.latent_dims, 1.0, 1.0, o.eta_enc, o.eta_dec, o.sigma1, o.sigma2)
        if isinstance(o, CVAEObjective):
            return CVAEObjective(o.dim_x, o.dim_y, o.latent_dim, 1.0, o.eta_enc, o.eta_dec, o.encoder_var)
        return VAEObjective(o.dim, o.latent_dim, 1.0, o.eta_enc, o.eta_dec, o.encoder_var)

    def elbo_vector(self, game: NetworkGame, params: Params) -> np.ndarray:
        """Part 1's parameter vector (U, W[, log var] blocks) of the game's ``params``."""
        ch = game.channels(params)
        obj = self.elbo_objective()
        if self.model == "vae":
            (U, _), (W, var) = ch["p(x|z)"], ch["q(z|x)"]
            blocks = {"U": U, "W": W}
        elif self.model == "cvae":
            (U, _), (W, var) = ch["p(y|x,z)"], ch["q(z|x,y)"]
            k, dx = self.k, self.problem.settings["dim_x"]
            blocks = {"U1": U[:, :k], "U2": U[:, k:], "W1": W[:, :dx], "W2": W[:, dx:]}
        else:
            (U1, _), (U2, _), (W1, _), (W2, var) = ch["p(x|z1)"], ch["p(z1|z2)"], ch["q(z1|x)"], ch["q(z2|z1)"]
            blocks = {"U1": U1, "W1": W1, "U2": U2, "W2": W2}
        if self.learned:
            blocks["ell"] = np.log(var)
        return obj.layout.pack(blocks)

    def params_from_elbo(self, game: NetworkGame, vec: np.ndarray) -> Params:
        """The game's parameters of part 1's parameter vector (the inverse of ``elbo_vector``)."""
        from .game_params import encoder_block

        b = self.elbo_objective().layout.unpack(np.asarray(vec, float))
        var = np.exp(b["ell"]) if self.learned else None
        block = lambda W, n: encoder_block(W, var if var is not None else np.full(n, 1.0), self.learned)
        if self.model == "vae":
            return game.params(b["U"], block(b["W"], self.k))
        if self.model == "cvae":
            return game.params(np.hstack([b["U1"], b["U2"]]), block(np.hstack([b["W1"], b["W2"]]), self.k))
        D, (d1, d2) = b["U1"].shape[0], (self.dims["d1"], self.dims["d2"])
        theta, enc2 = np.zeros((D + d1, d1 + d2)), block(b["W2"], d2)
        theta[:D, :d1], theta[D:, d1:] = b["U1"], b["U2"]
        phi = np.zeros((d1 + d2, D + enc2.shape[1]))
        phi[:d1, :D], phi[d1:, D:] = b["W1"], enc2
        return game.params(theta, phi)

    def solution(self, game: NetworkGame, params: Params, source: str):
        """Per-mode values of ``params`` in part 1's conventions, with the beta = 1 loss there."""
        obj, vec = self.elbo_objective(), self.elbo_vector(game, params)
        loss = obj.loss_grad(vec, self.problem.moment)[0]
        return extract(obj, vec, self.problem.spectrum, self.problem.units, loss, source)

    def theory(self) -> Theory:
        """The closed-form stable equilibrium as a ``Theory`` (loss: the beta = 1 ELBO loss there)."""
        branches = self.stable_branches()
        game = self.game()
        sol = self.solution(game, self.params(branches), "game theory")
        levels = 2 if self.model == "hvae" else 1
        coll = tuple(np.array([not b.active[lv] for b in branches]) for lv in range(levels))
        if self.model == "hvae":
            d2 = self.dims["d2"]
            c2 = np.ones(d2, bool)
            c2[:min(d2, len(branches))] = coll[1][:d2]
            coll = (coll[0], c2)
        thr = self.thresholds()
        lam = self.eigenvalues
        finite = np.concatenate([np.ravel(t)[np.isfinite(np.ravel(t))] for t in (thr if isinstance(thr, tuple) else (thr,))])
        tol = THRESHOLD_RTOL * max(float(lam.max(initial=0.0)), float(finite.max(initial=0.0)))
        return Theory("game theory", sol.decoder_singular_values, sol.encoder_singular_values, sol.encoder_std,
                      coll if levels == 2 else coll[0], sol.loss, eigenvalues=lam, thresholds=thr, tolerance=tol)


def game_model(problem) -> GameModel:
    return GameModel(problem)
