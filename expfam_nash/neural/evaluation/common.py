"""Shared plumbing of the evaluation: size limits, float64 parameters, input checks, the latent
configurations of a finite latent space. The block sizes are read at call time
(``common.BLOCK``), so a test may shrink them to exercise the blocking."""
from __future__ import annotations

import math

import numpy as np

from ...core.validation import as_float_array
from ..heads import check_data

#: most latent configurations an exact sum enumerates
MAX_LATENT_CONFIGS = 2 ** 16
#: largest data dimension whose 2^d images the exact transition matrix covers
MAX_EXACT_DIM = 12
#: largest n_points^2 * n_latents product the exact transition matrix agrees to compute
MAX_TRANSITION_WORK = 2 ** 38
#: entries of one intermediate (rows x configurations) block
BLOCK = 2 ** 22
#: most (image, latent) rows handed to a model's own transition_matrix or log-densities in one call
MODEL_ROWS = 2 ** 18


def mean_se(v) -> tuple[float, float]:
    """(mean, standard error std(ddof=1) / sqrt(n)) of a sample."""
    v = np.asarray(v, dtype=np.float64)
    return float(v.mean()), (float(v.std(ddof=1) / np.sqrt(v.size)) if v.size > 1 else float("nan"))


def f64(params) -> dict:
    """The parameters as float64 vectors (the same objects when they already are)."""
    if not isinstance(params, dict) or not params:
        raise ValueError(f"params: expected a non-empty dict of parameter vectors, got {type(params).__name__}")
    return {k: (np.asarray(v, dtype=np.float64) if np.issubdtype(np.asarray(v).dtype, np.floating) else v)
            for k, v in params.items()}


def check_x(model, x, name: str = "x") -> np.ndarray:
    x = as_float_array(x, name, ndim=2)
    d = getattr(model, "data_dim", None)
    if x.shape[0] < 1 or (d is not None and x.shape[1] != d):
        raise ValueError(f"{name}: expected a batch of shape (n >= 1, {d}), got {x.shape}")
    check_data(getattr(model, "p_head", None), x, name)
    return x


def check_density(model, what: str) -> None:
    if not getattr(model, "has_prior_density", False):
        raise ValueError(f"model: {what} needs a prior with a density; this model's prior is implicit "
                         "(known only by samples)")


def latent_configs(model) -> np.ndarray:
    """Every latent configuration (float64), refusing infinite or too-large latent spaces before
    building them."""
    prior = getattr(model, "prior", None)          # optional: a model may enumerate its latents itself
    count = getattr(prior, "configurations", None)
    if count is not None and getattr(model, "latent_dim", None) == prior.dim:
        if math.isinf(count):
            raise ValueError("model: the latent space is not finite, so it cannot be enumerated")
        if count > MAX_LATENT_CONFIGS:
            raise ValueError(f"model: {count} latent configurations are too many to enumerate "
                             f"(max {MAX_LATENT_CONFIGS})")
    z = np.asarray(model.enumerate_latents(), dtype=np.float64)
    if z.ndim != 2 or z.shape[0] > MAX_LATENT_CONFIGS:
        raise ValueError(f"model: {z.shape[0]} latent configurations are too many to enumerate "
                         f"(max {MAX_LATENT_CONFIGS})")
    return z


def auto_batch(model) -> int:
    d = int(getattr(model, "data_dim", 64) or 64)
    return int(np.clip(BLOCK // max(d, 1), 1024, 65536))


