"""Hypothesis strategies that generate lifted exponential-family games."""
from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

from expfam_nash.environment import Finite, FiniteJoint
from expfam_nash.families import (Affine, Bernoulli, Categorical, Features, Fourier, OneHot, Polynomial,
                                  binary_support)
from expfam_nash.game import Game, Player


def _family(kind: str, size: int):
    return Bernoulli(size) if kind == "bernoulli" else Categorical(size + 1)


def _lift(kind: str, support: np.ndarray, rng: np.random.Generator):
    dim = support.shape[1]
    if kind == "affine":
        return Affine(dim)
    if kind == "onehot":
        return OneHot(support)
    if kind == "polynomial":
        return Polynomial(dim, degree=2, multilinear=True)
    if kind == "fourier":
        return Fourier(dim, count=3, scale=1.5, seed=int(rng.integers(1000)))
    return Features(support, rng.standard_normal((support.shape[0], 2)), bias=True)


@st.composite
def finite_games(draw, max_x: int = 3, max_z: int = 2, labeled: bool | None = None):
    """A random finite game: families, lifts, data on a random subset of X, prior, alpha, rho."""
    fx = _family(draw(st.sampled_from(["bernoulli", "categorical"])), draw(st.integers(1, max_x)))
    fz = _family(draw(st.sampled_from(["bernoulli", "categorical"])), draw(st.integers(1, max_z)))
    seed = draw(st.integers(0, 2 ** 31 - 1))
    rng = np.random.default_rng(seed)
    X, Z = fx.support(), fz.support()
    dec = Player(fx, _lift(draw(st.sampled_from(["affine", "onehot", "polynomial", "fourier", "features"])), Z, rng))
    enc = Player(fz, _lift(draw(st.sampled_from(["affine", "onehot", "polynomial", "fourier", "features"])), X, rng))
    n_data = draw(st.integers(1, X.shape[0]))
    rows = np.sort(rng.choice(X.shape[0], size=n_data, replace=False))
    data = Finite(X[rows], rng.dirichlet(np.ones(n_data)))
    prior = Finite(Z, rng.dirichlet(np.ones(Z.shape[0])))
    use_lab = draw(st.booleans()) if labeled is None else labeled
    alpha = draw(st.sampled_from([0.25, 0.6])) if use_lab else 0.0
    lab = FiniteJoint(X[rows], Z, rng.dirichlet(np.ones(n_data * Z.shape[0])).reshape(n_data, Z.shape[0])) \
        if use_lab else None
    rho = draw(st.sampled_from([0.0, 0.3]))
    game = Game(dec, enc, data, prior, labeled=lab, alpha=alpha, rho=rho)
    params = game.init(seed=int(rng.integers(1000)), scale=draw(st.sampled_from([0.5, 2.0])))
    return game, params


def bernoulli_table_game(d: int, k: int, seed: int, rho: float = 0.0):
    """A Bernoulli pair with affine lifts and a random weighted data set on all of {0,1}^d."""
    rng = np.random.default_rng(seed)
    X = binary_support(d)
    data = Finite(X, rng.dirichlet(np.ones(X.shape[0])))
    prior = Finite(binary_support(k), rng.dirichlet(np.ones(2 ** k)))
    return Game(Player(Bernoulli(d), Affine(k)), Player(Bernoulli(k), Affine(d)), data, prior, rho=rho)


def anchored_bernoulli_game(d: int, k: int, alpha: float, rho: float, seed: int, concentration: float = 0.5):
    """A Bernoulli pair with affine lifts anchored by a random labelled joint (Dirichlet(concentration)
    over {0,1}^d x {0,1}^k) whose marginals are the data and the prior."""
    from expfam_nash import models

    rng = np.random.default_rng(seed)
    X, Z = binary_support(d), binary_support(k)
    lab = FiniteJoint(X, Z, rng.dirichlet(np.full(X.shape[0] * Z.shape[0], concentration)).reshape(X.shape[0], -1))
    data, prior = lab.marginals()
    return models.bernoulli(X, weights=data.weights, latent_dim=k, prior=prior, labeled=lab,
                            labeled_weight=alpha, l2=rho)
