"""Symbolic games against the numeric engine.

``engine_game(sym)`` builds the same game with ``expfam_nash.game.Game`` from the symbolic game's
specification (which must then be numeric); ``compare(sym, game)`` evaluates both at random
in-domain points and returns the largest relative error

    err(a, b) = max|a - b| / max(1, max|b|)          (b = the engine's value)

of the utilities, the pseudo-gradient and the game Jacobian (flat layout of the engine).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import sympy as sp

from ..environment import Finite, FiniteJoint, Gaussian, GaussianJoint
from ..families import Affine, Bernoulli, Categorical, GaussianFixed, GaussianLearned, OneHot, binary_support
from ..game import Game, Params, Player
from .core import NumericGame, SymbolicGame, lambdify_game

__all__ = ["engine_game", "random_params", "relative_error", "Comparison", "compare"]


def _f(v) -> float:
    return float(sp.N(sp.sympify(v), 30))


def _arr(M) -> np.ndarray:
    return np.array([[_f(v) for v in row] for row in sp.Matrix(M).tolist()], dtype=float)


def engine_game(sym: SymbolicGame) -> Game:
    """The numeric ``Game`` with the same specification (all constants numeric)."""
    if sym.constants:
        raise ValueError(f"engine_game: substitute the free constants {sym.constants} first (SymbolicGame.subs)")
    sp_ = dict(sym.spec)
    kind = sp_["kind"]
    alpha, rho = _f(sp_["alpha"]), _f(sp_["rho"])
    if kind == "bernoulli":
        pts = np.array(sp_["data"], dtype=float)
        d, k = pts.shape[1], sp_["latent_dim"]
        data = Finite(pts, np.array([_f(v) for v in sp_["data_weights"]]))
        prior = Finite(binary_support(k), np.array([_f(v) for v in sp_["prior_weights"]]))
        lab = None if sp_["labelled"] is None else FiniteJoint(binary_support(d), binary_support(k), _arr(sp_["labelled"]))
        return Game(Player(Bernoulli(d), Affine(k)), Player(Bernoulli(k), Affine(d)), data, prior,
                    labelled=lab, alpha=alpha, rho=rho, name="bernoulli")
    if kind == "tabular":
        P = _arr(sp_["joint"])
        nx, nz = P.shape
        xs, zs = np.arange(nx, dtype=float)[:, None], np.arange(nz, dtype=float)[:, None]
        lab = FiniteJoint(xs, zs, P)
        px, pz = P.sum(1), P.sum(0)
        data, prior = Finite(xs[px > 0], px[px > 0]), Finite(zs[pz > 0], pz[pz > 0])
        return Game(Player(Categorical(nx), OneHot(zs)), Player(Categorical(nz), OneHot(xs)), data, prior,
                    labelled=lab, alpha=alpha, rho=rho, name="tabular")
    if kind == "linear_gaussian":
        d, k = sp_["d"], sp_["k"]
        fam = lambda var, n: GaussianLearned(n) if var is None else GaussianFixed(n, _f(var))
        data = Gaussian(_arr(sp_["data_mean"]).ravel(), _arr(sp_["data_cov"]))
        prior = Gaussian(_arr(sp_["prior_mean"]).ravel(), _arr(sp_["prior_cov"]))
        lab = None
        if sp_["labelled_mean"] is not None:
            lab = GaussianJoint(_arr(sp.Matrix(list(sp_["labelled_mean"]))).ravel(), _arr(sp_["labelled_cov"]), d)
        return Game(Player(fam(sp_["decoder_var"], d), Affine(k)), Player(fam(sp_["encoder_var"], k), Affine(d)),
                    data, prior, labelled=lab, alpha=alpha, rho=rho, name="linear-gaussian")
    raise ValueError(f"engine_game: unknown kind {kind!r}")


def random_params(game: Game, rng: np.random.Generator, scale: float = 0.8) -> Params:
    """Free entries ~ N(0, scale^2); learned Gaussian precision entries in [-2, -0.3]."""
    out = []
    for pl in (game.decoder, game.encoder):
        par = np.where(pl.mask, scale * rng.standard_normal(pl.shape), 0.0)
        if isinstance(pl.family, GaussianLearned):
            n = pl.family.dim
            par[n:, -1] = -rng.uniform(0.3, 2.0, n)
        out.append(par)
    return Params(*out)


def relative_error(a, b) -> float:
    """max|a - b| / max(1, max|b|)."""
    a, b = np.asarray(a, float), np.asarray(b, float)
    return float(np.max(np.abs(a - b)) / max(1.0, float(np.max(np.abs(b)))))


@dataclass(frozen=True)
class Comparison:
    """Largest relative errors over the points (utilities, gradient, Jacobian)."""

    utilities: float
    gradient: float
    jacobian: float
    n_points: int

    @property
    def worst(self) -> float:
        return max(self.utilities, self.gradient, self.jacobian)


def compare(sym: SymbolicGame, game: Game | None = None, n_points: int = 5, seed: int = 0,
            numeric: NumericGame | None = None) -> Comparison:
    """Symbolic (lambdified) vs engine at ``n_points`` random in-domain points."""
    game = engine_game(sym) if game is None else game
    num = lambdify_game(sym) if numeric is None else numeric
    if num.game is not sym:
        raise ValueError("compare: numeric must be lambdify_game(sym)")
    if list(game.decoder.mask.shape) != list(sym.theta_mask.shape) or not np.array_equal(game.decoder.mask, sym.theta_mask) \
            or not np.array_equal(game.encoder.mask, sym.phi_mask):
        raise ValueError("compare: parameter masks of the symbolic and the engine game differ")
    rng = np.random.default_rng(seed)
    eu = eg = ej = 0.0
    for _ in range(n_points):
        p = random_params(game, rng)
        vec = game.flatten(p)
        eu = max(eu, relative_error(num.utilities(vec), game.utilities(p)))
        eg = max(eg, relative_error(num.gradient(vec), game.flatten(game.gradient(p))))
        ej = max(ej, relative_error(num.jacobian(vec), game.jacobian(p)))
    return Comparison(eu, eg, ej, n_points)
