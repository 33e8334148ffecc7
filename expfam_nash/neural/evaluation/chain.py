"""The reconstruction chain x -> z ~ q(z|x) -> x' ~ p(x'|z) of a trained model, with kernel
K(x'|x) = sum_z q(z|x) p(x'|z): :func:`transition_matrix` builds it over all 2^d binary images
(d <= 12), :func:`limiting_distribution_exact` solves pi K = pi (``stats.markov.stationary``, with
its residual and spectral gap), :func:`chain_samples` runs it by sampling."""
from __future__ import annotations

import math

import numpy as np

from ...core.validation import as_float_array, as_rng, check_int
from ...families.bernoulli import binary_index, binary_support
from ...stats import stationary
from .. import heads as H
from ..protocol import ExactTransition, HeadModel
from . import common
from .common import MAX_EXACT_DIM, MAX_LATENT_CONFIGS, MAX_TRANSITION_WORK, check_x, f64, latent_configs


def chain_samples(model, params, x0, *, steps: int = 100, seed=None, rng=None) -> np.ndarray:
    """Run ``steps`` steps of x -> z ~ q(z|x) -> x' ~ p(x'|z) (``model.chain_step``) from each row
    of ``x0`` (independent chains); returns the final states, float64, shape of x0. After t steps
    the distance to the limiting distribution decays like |lambda_2|^t (see :class:`Stationary`);
    chains started at data points stay close to the data when the chain mixes slowly."""
    steps = check_int(steps, "steps", minimum=0)
    params = f64(params)
    x = check_x(model, x0, "x0").copy()
    rng = as_rng(seed, rng)
    for _ in range(steps):
        x = np.asarray(model.chain_step(params, x, rng), dtype=np.float64)
    return x


def _check_points(points, d: int) -> np.ndarray:
    if d > MAX_EXACT_DIM:
        raise ValueError(f"points: 2^{d} images are too many for the exact transition matrix "
                         f"(d <= {MAX_EXACT_DIM})")
    if points is None:
        return binary_support(d)
    pts = as_float_array(points, "points", ndim=2)
    if pts.shape != (2 ** d, d) or np.unique(binary_index(pts)).size != 2 ** d:
        raise ValueError(f"points: expected all {2 ** d} distinct binary images of dimension {d} "
                         f"(e.g. binary_support({d})), got shape {pts.shape}")
    return pts


def _kernel(model, params, pts: np.ndarray, z: np.ndarray) -> np.ndarray:
    """sum_z q(z|x_a) p(x_b|z) over the configurations ``z``, in bounded blocks."""
    n, nz = pts.shape[0], z.shape[0]
    T = np.zeros((n, n))
    if isinstance(model, HeadModel):
        enc = model.encoder_out(params, pts)
        c = max(1, common.BLOCK // n)
        for s in range(0, nz, c):
            zc = z[s:s + c]
            q = np.exp(model.q_head.log_prob_table(enc, zc))                             # (n, c): q(z|x_a)
            p = np.exp(model.p_head.log_prob_table(model.decoder_out(params, zc), pts))  # (c, n): p(x_b|z)
            T += q @ p
        return T
    if isinstance(model, ExactTransition) and n * nz <= common.MODEL_ROWS:
        return np.asarray(model.transition_matrix(params, pts), dtype=np.float64)
    # the interface only: log q(z|x) and log p(x|z) on tiled (image, configuration) pairs
    c = max(1, common.MODEL_ROWS // n)
    for s in range(0, nz, c):
        zc = z[s:s + c]
        xs, zs = np.repeat(pts, len(zc), axis=0), np.tile(zc, (n, 1))
        q = np.exp(np.asarray(model.log_q(params, xs, zs), dtype=np.float64)).reshape(n, len(zc))
        p = np.exp(np.asarray(model.log_likelihood(params, xs, zs), dtype=np.float64)).reshape(n, len(zc))
        T += q @ p.T
    return T


def transition_matrix(model, params, points=None) -> np.ndarray:
    """K[a, b] = P(x' = points[b] | x = points[a]) = sum_z q(z|x_a) p(x_b|z), over ALL 2^d binary
    images (``points`` = ``binary_support(d)`` by default, or any ordering of it; d <= 12).

    Needs a Bernoulli data head and a finite latent space of at most ``MAX_LATENT_CONFIGS``
    configurations (the prior is not used: an implicit prior on bits is fine), with
    2^(2d) x |Z| <= ``MAX_TRANSITION_WORK``. The one-layer VAE accumulates K = sum over latent
    blocks of Q_c P_c (closed-form head tables, memory O(2^d x block)); other models use their own
    ``transition_matrix(params, points)`` when small enough, else ``log_q`` and
    ``log_likelihood`` on tiled (image, configuration) pairs in bounded blocks. Rows sum to 1
    (checked to 1e-6, then renormalised against rounding)."""
    params = f64(params)
    d = getattr(model, "data_dim", None)
    if d is None:
        raise ValueError("model: needs data_dim for the exact transition matrix")
    pts = _check_points(points, d)
    n = pts.shape[0]
    if not isinstance(getattr(model, "p_head", H.Bernoulli(1)), H.Bernoulli):
        raise ValueError("model: the exact transition matrix needs a Bernoulli data head (binary images)")
    if isinstance(model, HeadModel) and isinstance(model.q_head, H.Bernoulli):
        if model.q_head.dim > 16:
            raise ValueError(f"model: 2^{model.q_head.dim} latent configurations are too many to enumerate "
                             f"(max {MAX_LATENT_CONFIGS})")
        z = binary_support(model.q_head.dim)
    else:
        z = latent_configs(model)
    nz = z.shape[0]
    if n * n * nz > MAX_TRANSITION_WORK:
        raise ValueError(f"model: the exact transition matrix needs {n}^2 x {nz} operations "
                         f"(limit 2^{int(math.log2(MAX_TRANSITION_WORK))}); sample the chain instead")
    T = _kernel(model, params, pts, z)
    if T.shape != (n, n) or not np.all(np.isfinite(T)) or np.any(T < 0):
        raise ValueError("model: the transition matrix is not a finite non-negative square matrix")
    rows = T.sum(1)
    if np.max(np.abs(rows - 1)) > 1e-6:
        raise ValueError(f"model: transition rows sum to {rows.min():.6g}..{rows.max():.6g}, not 1")
    return T / rows[:, None]


def limiting_distribution_exact(model, params, points=None) -> np.ndarray:
    """The limiting (stationary) distribution of the reconstruction chain over all 2^d binary
    images, aligned with ``points`` (default ``binary_support(d)``). See :func:`transition_matrix`
    and :func:`stationary` (which also gives the spectral gap and residual)."""
    return stationary(transition_matrix(model, params, points)).probs


