"""The latent-model contract: what learning and evaluation use of a model.

:class:`LatentModel` is the interface every model offers (``VAE``, ``HierarchicalVAE``, or any
other); the evaluation code dispatches on the optional capabilities below (``isinstance`` checks
of runtime-checkable protocols), never on a model's class:

* :class:`HeadModel`: one latent layer whose conditionals are the output heads of two networks
  (fast paths: tables of head densities instead of per-pair calls);
* :class:`ExactMarginal`: the model computes log p(x) exactly itself;
* :class:`ExactTransition`: the model forms the reconstruction chain's kernel itself;
* :class:`LatentProbabilities`: per-unit q(z_j = 1 | x) (for latent activity).
"""
from __future__ import annotations

from typing import Protocol, runtime_checkable

import numpy as np


@runtime_checkable
class LatentModel(Protocol):
    data_dim: int
    latent_dim: int
    has_prior_density: bool

    def encode(self, params, x, rng, labels=None) -> np.ndarray:
        """z ~ q(z|x) (the label part fixed where ``labels`` are given)."""

    def generate(self, params, n: int, rng) -> tuple[np.ndarray, np.ndarray]:
        """(z, x) with z ~ pi, x ~ p(x|z)."""

    def log_joint(self, params, x, z) -> np.ndarray:
        """log pi(z) + log p(x|z) per row."""

    def log_q(self, params, x, z) -> np.ndarray:
        """log q(z|x) per row."""

    def log_likelihood(self, params, x, z) -> np.ndarray:
        """log p(x|z) per row."""

    def log_prior(self, z) -> np.ndarray:
        """log pi(z) per row (ValueError for an implicit prior)."""

    def enumerate_latents(self) -> np.ndarray:
        """Every latent configuration (ValueError when the latent space is not finite)."""

    def reconstruct(self, params, x, rng) -> np.ndarray:
        """Mean of p(x|z) at z ~ q(z|x)."""

    def chain_step(self, params, x, rng) -> np.ndarray:
        """One step x -> z ~ q(z|x) -> x' ~ p(x'|z) of the reconstruction chain."""


@runtime_checkable
class HeadModel(Protocol):
    p_head: object
    q_head: object

    def encoder_out(self, params, x) -> np.ndarray: ...

    def decoder_out(self, params, z) -> np.ndarray: ...


@runtime_checkable
class ExactMarginal(Protocol):
    def log_marginal_exact(self, params, x) -> np.ndarray: ...


@runtime_checkable
class ExactTransition(Protocol):
    def transition_matrix(self, params, points: np.ndarray) -> np.ndarray: ...


@runtime_checkable
class LatentProbabilities(Protocol):
    def latent_probabilities(self, params, x, rng=None) -> np.ndarray: ...


@runtime_checkable
class TrainableModel(Protocol):
    """What the learning rules use: networks, their owners, per-player gradients."""

    nets: dict
    players: dict

    def init(self, seed=None, dtype=np.float32) -> dict: ...

    def zeros_like(self, params) -> dict: ...

    def decoder_grad(self, params, x, z, weights, grads) -> np.ndarray: ...

    def encoder_grad(self, params, x, z, weights, grads, label_rows=None) -> np.ndarray: ...
