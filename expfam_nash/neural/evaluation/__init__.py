"""Evaluation of trained latent-variable models, by job:

* :mod:`.likelihood`: exact and importance-sampled log-likelihoods (:class:`Estimate`);
* :mod:`.usage`: reconstructions and latent usage;
* :mod:`.chain`: the reconstruction chain (its exact kernel, sampled runs, the limiting
  distribution; the Markov-chain algebra is :mod:`expfam_nash.stats.markov`);
* :mod:`.report`: :func:`evaluate` and its :class:`Evaluation`.

Distances (TV, MMD, noise floors) are :mod:`expfam_nash.stats.distances`, re-exported here. Only the
model contract of :mod:`..protocol` is used. All numbers are computed in float64 whatever the
training dtype, and all randomness comes from ``seed`` / ``rng``.
"""
from ...families.bernoulli import binary_index
from ...stats import (Stationary, median_bandwidth, mmd, on_binary_support, stationary, total_variation,
                      tv_empirical, tv_exact, tv_finite, tv_noise_floor)
from . import common
from .chain import chain_samples, limiting_distribution_exact, transition_matrix
from .common import MAX_EXACT_DIM, MAX_LATENT_CONFIGS, MAX_TRANSITION_WORK
from .likelihood import Estimate, log_likelihood_exact, log_likelihood_is
from .report import STREAMS, Evaluation, evaluate
from .usage import latent_activity, reconstruction

__all__ = ["Estimate", "Stationary", "Evaluation", "evaluate", "log_likelihood_exact", "log_likelihood_is",
           "reconstruction", "latent_activity", "chain_samples", "transition_matrix", "stationary",
           "limiting_distribution_exact", "binary_index", "total_variation", "on_binary_support", "tv_exact",
           "tv_finite", "tv_empirical", "tv_noise_floor", "median_bandwidth", "mmd", "common", "STREAMS",
           "MAX_EXACT_DIM", "MAX_LATENT_CONFIGS", "MAX_TRANSITION_WORK"]
