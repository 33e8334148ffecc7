"""How a model reconstructs and how much it uses its latent units.

* :func:`reconstruction`: -log p(x|z) at one z ~ q(z|x), and the error of the mean reconstruction.
* :func:`latent_activity`: per-unit mutual information I(x; z_j) under the empirical x and q,
  exact for discrete units, and the activity A_j = Var_x(E_q[z_j | x]) (Burda et al. 2016).
"""
from __future__ import annotations

import numpy as np
from scipy.special import expit, logsumexp, xlogy

from ...core.validation import as_rng, check_positive
from .. import heads as H
from ..protocol import HeadModel, LatentProbabilities
from .common import check_x, f64, mean_se


def reconstruction(model, params, x, *, seed=None, rng=None) -> dict:
    """Reconstruction quality on ``x`` (each number with its SE across images):

    * ``nll``: mean over images of -log p(x|z), one z ~ q(z|x) per image (an unbiased estimate of
      -E_q log p(x|z), the ELBO's reconstruction term); ``nll_per_dim`` = nll / d;
    * ``mse``: mean squared error per pixel of ``model.reconstruct`` (the mean of p(x|z) at a
      second, independent z ~ q(z|x));
    * binary data only: ``error_rate``, the fraction of pixels where that mean, thresholded at
      1/2, differs from x.
    """
    params = f64(params)
    x = check_x(model, x)
    rng = as_rng(seed, rng)
    z = model.encode(params, x, rng)
    nll = -np.asarray(model.log_likelihood(params, x, z), dtype=np.float64)
    recon = np.asarray(model.reconstruct(params, x, rng), dtype=np.float64)
    binary = bool(np.all((x == 0) | (x == 1)))
    out = {"support": "binary" if binary else "real"}
    out["nll"], out["nll_se"] = mean_se(nll)
    out["nll_per_dim"] = out["nll"] / x.shape[1]
    out["mse"], out["mse_se"] = mean_se(((recon - x) ** 2).mean(1))
    if binary:
        out["error_rate"], out["error_rate_se"] = mean_se(((recon > 0.5) != (x == 1)).mean(1))
    return out


def _bin_entropy(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, 0.0, 1.0)
    return -xlogy(p, p) - xlogy(1 - p, 1 - p)


def _unit_usage(head, oh: np.ndarray) -> tuple[str, np.ndarray, np.ndarray]:
    """(kind, MI per unit, activity per unit) of one encoder head from its outputs ``oh``."""
    if isinstance(head, H.Bernoulli):
        p = expit(oh)
        ent = np.logaddexp(0.0, oh) - oh * p        # H(q_j(x)) from the logits, stable
        return "bernoulli", _bin_entropy(p.mean(0)) - ent.mean(0), p.var(0)
    if isinstance(head, H.Categorical):
        logp = oh - logsumexp(oh, axis=1, keepdims=True)
        p = np.exp(logp)
        pbar = p.mean(0)
        return "categorical", -xlogy(pbar, pbar).sum() + (p * logp).sum(1).mean(), p.var(0).sum()
    if isinstance(head, H.GaussianLogVariance):
        mu, s = oh[:, :head.dim], head.log_variance(oh)
        act = mu.var(0)
        return "gaussian", 0.5 * np.log1p(act / np.exp(s).mean(0)), act
    raise ValueError(f"model: no latent-activity measure for the encoder head {type(head).__name__}")


def latent_activity(model, params, x, *, seed=None, rng=None, threshold: float = 0.01) -> dict:
    """How much each latent unit is used on ``x`` (treated as the empirical data distribution).

    * Binary unit j with q_j(x) = q(z_j = 1 | x): the exact mutual information
      I(x; z_j) = H(mean_x q_j(x)) - mean_x H(q_j(x)) in nats (binary entropy H), in [0, log 2];
    * categorical unit (a one-hot label block): the same with the categorical entropy, in [0, log C];
    * Gaussian unit (mu, log var) = encoder outputs: the Gaussian-channel approximation
      I ~ 0.5 log(1 + Var_x(mu_j) / mean_x sigma_j^2) (exact if mu_j(x) is Gaussian and sigma_j
      constant; otherwise an approximation, not a bound).

    ``activity`` is A_j = Var_x(E_q[z_j | x]) for every unit (Burda et al. 2016; for a binary
    unit E_q[z_j|x] = q_j(x); for a categorical block the summed variances). A unit is active when
    its MI exceeds ``threshold`` nats (binary / categorical units) or its activity exceeds
    ``threshold`` (Gaussian units, Burda's criterion with threshold 0.01). The plug-in MI over a
    finite sample is slightly biased upwards as an estimate of the population MI.

    Uses ``model.latent_probabilities(params, x[, rng])`` when the model has it (e.g. the
    hierarchical model, whose second-layer marginals are averaged over samples of the first),
    else ``model.encoder_out`` with the encoder head. Raises ValueError otherwise."""
    threshold = check_positive(threshold, "threshold")
    params = f64(params)
    x = check_x(model, x)
    rng = as_rng(seed, rng)
    kinds, mis, acts = [], [], []   # per unit; MI and activity as 1-D arrays per block

    def add(kind, mi, act):
        mi, act = np.atleast_1d(mi), np.atleast_1d(act)
        kinds.extend([kind] * mi.size)
        mis.append(mi)
        acts.append(act)

    if isinstance(model, LatentProbabilities):
        p = np.asarray(model.latent_probabilities(params, x, rng=rng), dtype=np.float64)
        if p.ndim != 2 or p.shape[0] != x.shape[0]:
            raise ValueError(f"model: latent_probabilities returned shape {p.shape}, expected ({x.shape[0]}, k)")
        mi = _bin_entropy(p.mean(0)) - _bin_entropy(p).mean(0)
        add("bernoulli", mi, p.var(0))
    elif isinstance(model, HeadModel):
        o = np.asarray(model.encoder_out(params, x), dtype=np.float64)
        heads = model.q_head.slices() if isinstance(model.q_head, H.Product) else \
            [(model.q_head, slice(0, model.q_head.n_out), None)]
        for head, so, _ in heads:
            add(*_unit_usage(head, o[:, so]))
    else:
        raise ValueError("model: needs latent_probabilities(params, x) or encoder_out and q_head")
    mi = np.maximum(np.concatenate(mis), 0.0)   # >= 0 by concavity of the entropy, up to rounding
    act = np.concatenate(acts)
    active = np.where(np.array(kinds) == "gaussian", act > threshold, mi > threshold)
    return {"kind": kinds, "mi": mi, "activity": act, "active": active, "n_active": int(active.sum()),
            "n_units": len(kinds), "threshold": threshold, "mi_total": float(mi.sum()),
            "criterion": "MI > threshold nats (discrete units); Var_x E[z_j|x] > threshold (Gaussian units)"}


