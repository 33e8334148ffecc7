"""Evaluation of trained latent-variable models: likelihoods, reconstructions, latent usage, and
the limiting distribution of the reconstruction chain.

Only the model interface of :mod:`.vae` is used (``encode``, ``generate``, ``log_joint``,
``log_q``, ``log_likelihood``, ``enumerate_latents``, ``chain_step``, ``reconstruct``,
``has_prior_density``), plus optional methods a model may provide for exact work:
``log_marginal_exact(params, x)``, ``transition_matrix(params, points)`` and
``latent_probabilities(params, x, rng=...)``. For the one-layer :class:`~.vae.VAE`, batched fast
paths read ``encoder_out`` / ``decoder_out`` and the heads directly.

All numbers are computed in float64 whatever the training dtype (parameters are cast once), and
all randomness comes from ``seed`` / ``rng`` (:func:`~expfam_nash._validation.as_rng`).

Estimators (n = number of evaluated images; "SE" = standard error across images,
std(ddof=1) / sqrt(n), which measures how the test-set mean would vary with another test set):

* :func:`log_likelihood_exact`: log p(x) = logsumexp_z [log p(x, z)] over every latent
  configuration. No Monte-Carlo error; the SE is only across images.
* :func:`log_likelihood_is`: log p_K(x) = logsumexp_k [log p(x, z_k) - log q(z_k|x)] - log K,
  z_k ~ q(z|x) independently. Unbiased for p(x) in the probability scale, hence by Jensen
  E[log p_K(x)] <= log p(x): a stochastic *lower bound*, increasing in K (Burda et al. 2016),
  with bias ~ -Var(w) / (2 K p(x)^2) for w = p(x, z) / q(z|x). K = 1 gives the ELBO in expectation.
  Reported alongside: the ELBO (mean log-weight), the effective sample size
  (sum w)^2 / sum w^2 per image (a small ESS warns that the bound may be loose and the SE
  unreliable), and the Monte-Carlo SE of the mean from the delta method,
  Var[log p_K(x)] ~ Var(w) / (K mean(w)^2).
* :func:`reconstruction`: -log p(x|z) at one z ~ q(z|x), and the error of the mean reconstruction.
* :func:`latent_activity`: per-unit mutual information I(x; z_j) under the empirical x and q,
  exact for discrete units, and the activity A_j = Var_x(E_q[z_j | x]) (Burda et al. 2016).
* The reconstruction chain x -> z ~ q(z|x) -> x' ~ p(x'|z) has kernel
  K(x'|x) = sum_z q(z|x) p(x'|z). :func:`transition_matrix` builds it over all 2^d binary images
  (d <= 12), :func:`stationary` solves pi K = pi exactly (with its residual and spectral gap);
  :func:`chain_samples` runs it by sampling.
* Distances: :func:`total_variation` (exact), :func:`tv_empirical` with :func:`tv_noise_floor`
  (the TV an exact sample of the same size would show), and :func:`mmd`, the unbiased squared
  maximum mean discrepancy with a Gaussian kernel (noise floor: the same statistic between two
  halves of the data).

:func:`evaluate` bundles everything for a dataset into an :class:`Evaluation`.
"""
from __future__ import annotations

import inspect
import math
from dataclasses import dataclass, field

import numpy as np
from scipy.special import expit, logsumexp, xlogy

from .._jsonable import jsonable
from .._validation import as_float_array, as_rng, check_int, check_positive
from ..families.bernoulli import binary_support
from . import heads as H

#: most latent configurations an exact sum enumerates
MAX_LATENT_CONFIGS = 2 ** 16
#: largest data dimension whose 2^d images the exact transition matrix covers
MAX_EXACT_DIM = 12
#: largest n_points^2 * n_latents product the exact transition matrix agrees to compute
MAX_TRANSITION_WORK = 2 ** 38
#: entries of one intermediate (rows x configurations) block
_BLOCK = 2 ** 22
#: most (image, latent) rows handed to a model's own transition_matrix or log-densities in one call
_MODEL_ROWS = 2 ** 18
_LOG2PI = math.log(2 * math.pi)


# -- results -------------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class Estimate:
    """A test-set mean of a per-image log-likelihood (nats).

    ``se`` is the standard error across images (std(ddof=1) / sqrt(n)). For importance sampling
    (``method`` "is") ``mc_se`` is the Monte-Carlo standard error of ``mean`` due to finite K (delta
    method), ``ess`` the mean effective sample size per image, ``elbo`` the mean log-weight."""

    mean: float
    se: float
    per_image: np.ndarray = field(repr=False)
    method: str
    K: int | None = None
    mc_se: float = float("nan")
    ess: float = float("nan")
    elbo: float = float("nan")

    @property
    def n(self) -> int:
        return int(self.per_image.shape[0])

    def as_dict(self) -> dict:
        return jsonable({"mean": self.mean, "se": self.se, "n": self.n, "method": self.method, "K": self.K,
                           "mc_se": self.mc_se, "ess": self.ess, "elbo": self.elbo})

    def __str__(self) -> str:
        extra = ""
        if self.method == "is":
            extra = f", K={self.K}, MC SE {self.mc_se:.3g}, ESS {self.ess:.1f}, ELBO {self.elbo:.4f}"
        return f"{self.mean:.4f} +/- {self.se:.4f} nats ({self.method}{extra})"


@dataclass(frozen=True, eq=False)
class Stationary:
    """Stationary distribution ``probs`` of a transition matrix (rows = current state).

    ``residual`` = ||pi K - pi||_1; ``second_eigenvalue`` = |lambda_2|, ``spectral_gap`` =
    1 - |lambda_2| (NaN if the eigenvalue solver failed); after t steps from any start the TV to pi
    decays asymptotically like |lambda_2|^t, so ``relaxation_time`` = 1 / gap steps.
    ``converged``: the residual is below sqrt(tol) of :func:`stationary`."""

    probs: np.ndarray = field(repr=False)
    spectral_gap: float
    second_eigenvalue: float
    residual: float
    converged: bool

    @property
    def relaxation_time(self) -> float:
        gap = self.spectral_gap
        return float("nan") if not math.isfinite(gap) else 1.0 / gap if gap > 0 else float("inf")


def _per_image(values: np.ndarray, method: str, **kw) -> Estimate:
    v = np.asarray(values, dtype=np.float64)
    se = float(v.std(ddof=1) / np.sqrt(v.size)) if v.size > 1 else float("nan")
    v.setflags(write=False)
    return Estimate(float(v.mean()), se, v, method, **kw)


def _mean_se(v) -> tuple[float, float]:
    v = np.asarray(v, dtype=np.float64)
    return float(v.mean()), (float(v.std(ddof=1) / np.sqrt(v.size)) if v.size > 1 else float("nan"))


# -- checks and plumbing -----------------------------------------------------------------
def _f64(params) -> dict:
    """The parameters as float64 vectors (the same objects when they already are)."""
    if not isinstance(params, dict) or not params:
        raise ValueError(f"params: expected a non-empty dict of parameter vectors, got {type(params).__name__}")
    return {k: (np.asarray(v, dtype=np.float64) if np.issubdtype(np.asarray(v).dtype, np.floating) else v)
            for k, v in params.items()}


def _check_x(model, x, name: str = "x") -> np.ndarray:
    x = as_float_array(x, name, ndim=2)
    d = getattr(model, "data_dim", None)
    if x.shape[0] < 1 or (d is not None and x.shape[1] != d):
        raise ValueError(f"{name}: expected a batch of shape (n >= 1, {d}), got {x.shape}")
    return x


def _check_density(model, what: str) -> None:
    if not getattr(model, "has_prior_density", False):
        raise ValueError(f"model: {what} needs a prior with a density; this model's prior is implicit "
                         "(known only by samples)")


def _prior_count(prior) -> float:
    """Number of configurations of a prior's variable (inf when not finite)."""
    parts = getattr(prior, "parts", None)
    if parts is not None:
        return math.prod(_prior_count(p) for p in parts)
    if not hasattr(prior, "enumerate"):
        return math.inf
    if prior.support == "binary":
        return 2 ** prior.dim
    if prior.support == "categorical":
        return prior.dim
    return math.inf


def _latent_configs(model) -> np.ndarray:
    """Every latent configuration (float64), refusing infinite or too-large latent spaces before
    building them."""
    prior = getattr(model, "prior", None)
    if prior is not None and getattr(model, "latent_dim", None) == getattr(prior, "dim", None):
        count = _prior_count(prior)
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


def _is_vae_like(model) -> bool:
    """A single latent layer read directly by the heads (the one-layer VAE)."""
    return all(hasattr(model, a) for a in ("encoder_out", "decoder_out", "p_head", "q_head"))


def _head_table(head, o: np.ndarray, t: np.ndarray) -> np.ndarray:
    """log p(t_b | o_a) for every row a of the outputs and row b of the targets: (len(o), len(t)).

    Closed forms for Bernoulli, categorical and Gaussian heads (one matrix product); other heads
    evaluate the tiled pairs (keep len(o) * len(t) moderate)."""
    o = np.asarray(o, dtype=np.float64)
    t = np.asarray(t, dtype=np.float64)
    if isinstance(head, H.Bernoulli):
        return o @ t.T - np.logaddexp(0.0, o).sum(1, keepdims=True)
    if isinstance(head, H.Categorical):
        return (o - logsumexp(o, axis=1, keepdims=True)) @ t.T
    if isinstance(head, H.GaussianFixed):
        v = head.variance
        return (-0.5 / v) * ((o * o).sum(1)[:, None] - 2 * o @ t.T + (t * t).sum(1)[None, :]) \
            - 0.5 * head.dim * (_LOG2PI + math.log(v))
    if isinstance(head, H.GaussianLearned):
        k = head.dim
        mu, s = o[:, :k], head.log_variance(o)
        prec = np.exp(-s)
        quad = prec @ (t * t).T - 2 * (mu * prec) @ t.T + (mu * mu * prec).sum(1, keepdims=True)
        return -0.5 * quad - 0.5 * (s.sum(1, keepdims=True) + k * _LOG2PI)
    if isinstance(head, H.Product):
        out = np.zeros((o.shape[0], t.shape[0]))
        for p, so, st in head._slices():
            out += _head_table(p, o[:, so], t[:, st])
        return out
    a, b = o.shape[0], t.shape[0]
    oo = np.ascontiguousarray(np.repeat(o, b, axis=0))
    tt = np.ascontiguousarray(np.tile(t, (a, 1)))
    return np.asarray(head.log_prob(oo, tt, np.empty_like(oo)), dtype=np.float64).reshape(a, b)


def _auto_batch(model) -> int:
    d = int(getattr(model, "data_dim", 64) or 64)
    return int(np.clip(_BLOCK // max(d, 1), 1024, 65536))


# -- likelihoods -------------------------------------------------------------------------
def log_likelihood_exact(model, params, x) -> Estimate:
    """Exact log p(x) = logsumexp_z [log pi(z) + log p(x|z)] per row of ``x``, summing over every
    latent configuration (at most ``MAX_LATENT_CONFIGS``). Uses ``model.log_marginal_exact`` when
    the model has it; for the one-layer VAE the decoder runs once per configuration and each
    block of images x configurations is one matrix product (closed forms for the Bernoulli,
    categorical and Gaussian heads); other models use ``log_joint`` on tiled pairs. Memory stays
    bounded: configurations and images are processed in blocks (a few million numbers per
    intermediate array) joined by a running logsumexp.

    Raises ValueError for an implicit prior or a latent space that is infinite or too large."""
    _check_density(model, "the exact log-likelihood")
    params = _f64(params)
    x = _check_x(model, x)
    if hasattr(model, "log_marginal_exact"):
        per = np.asarray(model.log_marginal_exact(params, x), dtype=np.float64)
        return _per_image(per, "exact")
    z = _latent_configs(model)
    nz = z.shape[0]
    log_pz = np.asarray(model.log_prior(z), dtype=np.float64)
    n = x.shape[0]
    fast = _is_vae_like(model)
    # blocks of configurations (outer: the decoder runs once per configuration) and of images
    # (inner), combined by a running logsumexp; each intermediate array stays ~_BLOCK numbers
    width = model.p_head.n_out if fast else 1
    cz = max(1, (_BLOCK // max(width, 1)) if fast else _MODEL_ROWS)
    acc = np.full(n, -np.inf)
    for zs in range(0, nz, cz):
        zc, lpz = z[zs:zs + cz], log_pz[zs:zs + cz]
        table = model.decoder_out(params, zc) if fast else None
        m = max(1, (_BLOCK if fast else _MODEL_ROWS) // len(zc))
        for s in range(0, n, m):
            xc = x[s:s + m]
            if fast:
                lj = _head_table(model.p_head, table, xc).T + lpz
            else:
                lj = np.asarray(model.log_joint(params, np.repeat(xc, len(zc), axis=0), np.tile(zc, (len(xc), 1))),
                                dtype=np.float64).reshape(len(xc), len(zc))
            acc[s:s + m] = np.logaddexp(acc[s:s + m], logsumexp(lj, axis=1))
    per = acc
    return _per_image(per, "exact")


def log_likelihood_is(model, params, x, *, K: int = 1000, seed=None, rng=None, batch: int | None = None
                      ) -> Estimate:
    """Importance-sampled log p(x) with the encoder as proposal (module docstring):

        log p_K(x) = logsumexp_{k=1..K} [log p(x, z_k) - log q(z_k|x)] - log K,  z_k ~ q(z|x).

    A stochastic lower bound: E[log p_K(x)] <= log p(x), the gap shrinking like O(1/K); consistent
    as K -> infinity. ``batch`` bounds the (image, sample) rows per model call (default: about
    4M numbers per array). Works for any model with the interface (e.g. the hierarchical one).
    Raises ValueError for an implicit prior."""
    _check_density(model, "the importance-sampled log-likelihood")
    K = check_int(K, "K")
    rows = _auto_batch(model) if batch is None else check_int(batch, "batch")
    params = _f64(params)
    x = _check_x(model, x)
    rng = as_rng(seed, rng)
    n = x.shape[0]
    per, elbo, ess, var = np.empty(n), np.empty(n), np.empty(n), np.empty(n)
    m = max(1, rows // K)
    for s in range(0, n, m):
        xc = x[s:s + m]
        mc = xc.shape[0]
        lw = np.empty((mc, K))
        kc = max(1, rows // mc)
        for k0 in range(0, K, kc):
            kk = min(kc, K - k0)
            xs = np.repeat(xc, kk, axis=0)
            z = model.encode(params, xs, rng)
            lw[:, k0:k0 + kk] = (np.asarray(model.log_joint(params, xs, z), dtype=np.float64)
                                 - np.asarray(model.log_q(params, xs, z), dtype=np.float64)).reshape(mc, kk)
        per[s:s + mc] = logsumexp(lw, axis=1) - math.log(K)
        elbo[s:s + mc] = lw.mean(1)
        w = np.exp(lw - lw.max(1, keepdims=True))
        ess[s:s + mc] = w.sum(1) ** 2 / (w * w).sum(1)
        var[s:s + mc] = (w.var(1, ddof=1) / w.mean(1) ** 2 / K) if K > 1 else np.nan
    mc_se = float(np.sqrt(var.sum()) / n) if K > 1 else float("nan")
    return _per_image(per, "is", K=K, mc_se=mc_se, ess=float(ess.mean()), elbo=float(elbo.mean()))


# -- reconstructions and latent usage ------------------------------------------------------
def reconstruction(model, params, x, *, seed=None, rng=None) -> dict:
    """Reconstruction quality on ``x`` (each number with its SE across images):

    * ``nll``: mean over images of -log p(x|z), one z ~ q(z|x) per image (an unbiased estimate of
      -E_q log p(x|z), the ELBO's reconstruction term); ``nll_per_dim`` = nll / d;
    * ``mse``: mean squared error per pixel of ``model.reconstruct`` (the mean of p(x|z) at a
      second, independent z ~ q(z|x));
    * binary data only: ``error_rate``, the fraction of pixels where that mean, thresholded at
      1/2, differs from x.
    """
    params = _f64(params)
    x = _check_x(model, x)
    rng = as_rng(seed, rng)
    z = model.encode(params, x, rng)
    nll = -np.asarray(model.log_likelihood(params, x, z), dtype=np.float64)
    recon = np.asarray(model.reconstruct(params, x, rng), dtype=np.float64)
    binary = bool(np.all((x == 0) | (x == 1)))
    out = {"support": "binary" if binary else "real"}
    out["nll"], out["nll_se"] = _mean_se(nll)
    out["nll_per_dim"] = out["nll"] / x.shape[1]
    out["mse"], out["mse_se"] = _mean_se(((recon - x) ** 2).mean(1))
    if binary:
        out["error_rate"], out["error_rate_se"] = _mean_se(((recon > 0.5) != (x == 1)).mean(1))
    return out


def _bin_entropy(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, 0.0, 1.0)
    return -xlogy(p, p) - xlogy(1 - p, 1 - p)


def _call_with_rng(fn, params, x, rng):
    try:
        names = inspect.signature(fn).parameters
    except (TypeError, ValueError):
        names = {}
    return fn(params, x, rng=rng) if "rng" in names else fn(params, x)


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
    params = _f64(params)
    x = _check_x(model, x)
    rng = as_rng(seed, rng)
    kinds, mis, acts = [], [], []   # per unit; MI and activity as 1-D arrays per block

    def add(kind, mi, act):
        mi, act = np.atleast_1d(mi), np.atleast_1d(act)
        kinds.extend([kind] * mi.size)
        mis.append(mi)
        acts.append(act)

    if hasattr(model, "latent_probabilities"):
        p = np.asarray(_call_with_rng(model.latent_probabilities, params, x, rng), dtype=np.float64)
        if p.ndim != 2 or p.shape[0] != x.shape[0]:
            raise ValueError(f"model: latent_probabilities returned shape {p.shape}, expected ({x.shape[0]}, k)")
        mi = _bin_entropy(p.mean(0)) - _bin_entropy(p).mean(0)
        add("bernoulli", mi, p.var(0))
    elif hasattr(model, "encoder_out") and hasattr(model, "q_head"):
        o = np.asarray(model.encoder_out(params, x), dtype=np.float64)
        heads = model.q_head._slices() if isinstance(model.q_head, H.Product) else \
            [(model.q_head, slice(0, model.q_head.n_out), None)]
        for head, so, _ in heads:
            oh = o[:, so]
            if isinstance(head, H.Bernoulli):
                p = expit(oh)
                ent = np.logaddexp(0.0, oh) - oh * p        # H(q_j(x)) from the logits, stable
                mi = _bin_entropy(p.mean(0)) - ent.mean(0)
                add("bernoulli", mi, p.var(0))
            elif isinstance(head, H.Categorical):
                logp = oh - logsumexp(oh, axis=1, keepdims=True)
                p = np.exp(logp)
                pbar = p.mean(0)
                mi = -xlogy(pbar, pbar).sum() + (p * logp).sum(1).mean()
                add("categorical", mi, p.var(0).sum())
            elif isinstance(head, H.GaussianLearned):
                mu, s = oh[:, :head.dim], head.log_variance(oh)
                act = mu.var(0)
                mi = 0.5 * np.log1p(act / np.exp(s).mean(0))
                add("gaussian", mi, act)
            else:
                raise ValueError(f"model: no latent-activity measure for the encoder head {type(head).__name__}")
    else:
        raise ValueError("model: needs latent_probabilities(params, x) or encoder_out and q_head")
    mi = np.maximum(np.concatenate(mis), 0.0)   # >= 0 by concavity of the entropy, up to rounding
    act = np.concatenate(acts)
    active = np.where(np.array(kinds) == "gaussian", act > threshold, mi > threshold)
    return {"kind": kinds, "mi": mi, "activity": act, "active": active, "n_active": int(active.sum()),
            "n_units": len(kinds), "threshold": threshold, "mi_total": float(mi.sum()),
            "criterion": "MI > threshold nats (discrete units); Var_x E[z_j|x] > threshold (Gaussian units)"}


# -- the reconstruction chain -------------------------------------------------------------
def chain_samples(model, params, x0, *, steps: int = 100, seed=None, rng=None) -> np.ndarray:
    """Run ``steps`` steps of x -> z ~ q(z|x) -> x' ~ p(x'|z) (``model.chain_step``) from each row
    of ``x0`` (independent chains); returns the final states, float64, shape of x0. After t steps
    the distance to the limiting distribution decays like |lambda_2|^t (see :class:`Stationary`);
    chains started at data points stay close to the data when the chain mixes slowly."""
    steps = check_int(steps, "steps", minimum=0)
    params = _f64(params)
    x = _check_x(model, x0, "x0").copy()
    rng = as_rng(seed, rng)
    for _ in range(steps):
        x = np.asarray(model.chain_step(params, x, rng), dtype=np.float64)
    return x


def binary_index(points) -> np.ndarray:
    """Row index of each binary point in ``binary_support(d)`` (first coordinate most significant)."""
    pts = as_float_array(points, "points", ndim=2)
    if np.any((pts != 0) & (pts != 1)):
        raise ValueError("points: expected values in {0, 1}")
    if pts.shape[1] > 62:
        raise ValueError(f"points: at most 62 binary coordinates can be indexed, got {pts.shape[1]}")
    return pts.astype(np.int64) @ (np.int64(1) << np.arange(pts.shape[1] - 1, -1, -1, dtype=np.int64))


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
    params = _f64(params)
    d = getattr(model, "data_dim", None)
    if d is None:
        raise ValueError("model: needs data_dim for the exact transition matrix")
    pts = _check_points(points, d)
    n = pts.shape[0]
    if not isinstance(getattr(model, "p_head", H.Bernoulli(1)), H.Bernoulli):
        raise ValueError("model: the exact transition matrix needs a Bernoulli data head (binary images)")
    if _is_vae_like(model) and isinstance(model.q_head, H.Bernoulli):
        if model.q_head.dim > 16:
            raise ValueError(f"model: 2^{model.q_head.dim} latent configurations are too many to enumerate "
                             f"(max {MAX_LATENT_CONFIGS})")
        z = binary_support(model.q_head.dim)
    else:
        z = _latent_configs(model)
    nz = z.shape[0]
    if n * n * nz > MAX_TRANSITION_WORK:
        raise ValueError(f"model: the exact transition matrix needs {n}^2 x {nz} operations "
                         f"(limit 2^{int(math.log2(MAX_TRANSITION_WORK))}); sample the chain instead")
    T = np.zeros((n, n))
    if _is_vae_like(model):
        enc = model.encoder_out(params, pts)
        c = max(1, _BLOCK // n)
        for s in range(0, nz, c):
            zc = z[s:s + c]
            q = np.exp(_head_table(model.q_head, enc, zc))                             # (n, c): q(z|x_a)
            p = np.exp(_head_table(model.p_head, model.decoder_out(params, zc), pts))  # (c, n): p(x_b|z)
            T += q @ p
    elif hasattr(model, "transition_matrix") and n * nz <= _MODEL_ROWS:
        T = np.asarray(model.transition_matrix(params, pts), dtype=np.float64)
    else:
        # the interface only: log q(z|x) and log p(x|z) on tiled (image, configuration) pairs
        c = max(1, _MODEL_ROWS // n)
        for s in range(0, nz, c):
            zc = z[s:s + c]
            xs, zs = np.repeat(pts, len(zc), axis=0), np.tile(zc, (n, 1))
            q = np.exp(np.asarray(model.log_q(params, xs, zs), dtype=np.float64)).reshape(n, len(zc))
            p = np.exp(np.asarray(model.log_likelihood(params, xs, zs), dtype=np.float64)).reshape(n, len(zc))
            T += q @ p.T
    if T.shape != (n, n) or not np.all(np.isfinite(T)) or np.any(T < 0):
        raise ValueError("model: the transition matrix is not a finite non-negative square matrix")
    rows = T.sum(1)
    if np.max(np.abs(rows - 1)) > 1e-6:
        raise ValueError(f"model: transition rows sum to {rows.min():.6g}..{rows.max():.6g}, not 1")
    return T / rows[:, None]


def _second_eigenvalue(T: np.ndarray) -> float:
    n = T.shape[0]
    if n <= 64:   # dense; above, ARPACK (a dense nonsymmetric eigensolve costs seconds at n = 512)
        return float(np.sort(np.abs(np.linalg.eigvals(T)))[::-1][1]) if n > 1 else 0.0
    from scipy.sparse.linalg import ArpackNoConvergence, eigs
    try:
        ev = np.sort(np.abs(eigs(T, k=3, which="LM", tol=1e-10, maxiter=20 * n, return_eigenvectors=False)))[::-1]
        return float(ev[1])
    except (ArpackNoConvergence, ValueError, RuntimeError):
        return float("nan")


def stationary(T, *, tol: float = 1e-12, max_iter: int = 10000) -> Stationary:
    """The stationary distribution pi = pi T of a row-stochastic matrix.

    Solved directly (LU on (I - T)^T with one equation replaced by sum pi = 1), then polished by
    power iteration pi <- pi T until ||pi T - pi||_1 < ``tol`` (at most ``max_iter`` steps; from
    the uniform start if the solve fails, as for a nearly reducible chain). Unique when T > 0, as
    for any chain with Bernoulli heads of finite logits. ``converged`` is False if the residual
    stayed above sqrt(tol)."""
    T = as_float_array(T, "T", ndim=2)
    n = T.shape[0]
    if T.shape != (n, n) or n < 1 or np.any(T < 0) or np.max(np.abs(T.sum(1) - 1)) > 1e-8:
        raise ValueError(f"T: expected a square row-stochastic matrix, got shape {T.shape}")
    A = (np.eye(n) - T).T
    A[-1, :] = 1.0
    b = np.zeros(n)
    b[-1] = 1.0
    try:
        pi = np.linalg.solve(A, b)
        if not np.all(np.isfinite(pi)):
            raise np.linalg.LinAlgError
        pi = np.clip(pi, 0.0, None)
    except np.linalg.LinAlgError:
        pi = np.full(n, 1.0 / n)
    pi /= pi.sum()
    residual = float(np.abs(pi @ T - pi).sum())
    it = 0
    while residual >= tol and it < max_iter:
        new = pi @ T
        new /= new.sum()
        residual = float(np.abs(new - pi).sum())
        pi, it = new, it + 1
    residual = float(np.abs(pi @ T - pi).sum())
    lam2 = _second_eigenvalue(T)
    pi.setflags(write=False)
    return Stationary(pi, 1.0 - lam2, lam2, residual, residual < math.sqrt(tol))


def limiting_distribution_exact(model, params, points=None) -> np.ndarray:
    """The limiting (stationary) distribution of the reconstruction chain over all 2^d binary
    images, aligned with ``points`` (default ``binary_support(d)``). See :func:`transition_matrix`
    and :func:`stationary` (which also gives the spectral gap and residual)."""
    return stationary(transition_matrix(model, params, points)).probs


# -- distances ---------------------------------------------------------------------------
def _check_probs(p, name: str) -> np.ndarray:
    p = as_float_array(p, name, ndim=1)
    if p.size == 0 or np.any(p < 0) or abs(p.sum() - 1) > 1e-6:
        raise ValueError(f"{name}: expected a non-empty probability vector (non-negative, sum 1)")
    return p


def total_variation(p, q) -> float:
    """TV(p, q) = 1/2 sum_i |p_i - q_i| for two probability vectors on a common support, in [0, 1]."""
    p, q = _check_probs(p, "p"), _check_probs(q, "q")
    if p.shape != q.shape:
        raise ValueError(f"p, q: expected vectors on the same support, got sizes {p.size} and {q.size}")
    return float(0.5 * np.abs(p - q).sum())


def on_binary_support(dist, d: int | None = None) -> np.ndarray:
    """The probabilities of a :class:`~expfam_nash.environment.Finite` distribution on binary points
    as a vector over ``binary_support(d)`` (duplicate points summed, absent points 0)."""
    pts, w = getattr(dist, "points", None), getattr(dist, "weights", None)
    if pts is None or w is None:
        raise ValueError(f"dist: expected a Finite distribution (points, weights), got {type(dist).__name__}")
    d = pts.shape[1] if d is None else check_int(d, "d")
    if pts.shape[1] != d or d > 30:
        raise ValueError(f"dist: expected binary points of dimension {d} <= 30, got {pts.shape[1]}")
    return np.bincount(binary_index(pts), weights=np.asarray(w, dtype=np.float64), minlength=2 ** d)


def tv_exact(probs, exact, points=None) -> float:
    """TV between a vector over all 2^d binary images (aligned with ``points``, default
    ``binary_support(d)``) and an exact :class:`Finite` data distribution."""
    probs = _check_probs(probs, "probs")
    d = round(math.log2(probs.size))
    if 2 ** d != probs.size:
        raise ValueError(f"probs: expected 2^d entries, got {probs.size}")
    ref = on_binary_support(exact, d)
    if points is not None:
        ref = ref[binary_index(points)]
    return total_variation(probs, ref)


def _merged(points, weights) -> tuple[np.ndarray, np.ndarray]:
    pts = as_float_array(points, "points", ndim=2)
    uniq, inv = np.unique(pts, axis=0, return_inverse=True)
    return uniq, np.bincount(inv.ravel(), weights=np.asarray(weights, dtype=np.float64), minlength=uniq.shape[0])


def _lookup(query: np.ndarray, ref: np.ndarray) -> np.ndarray:
    """Index in ``ref`` (unique rows) of each row of ``query``, -1 when absent."""
    both = np.concatenate([ref, query])
    _, inv = np.unique(both, axis=0, return_inverse=True)
    inv = inv.ravel()
    where = np.full(inv.max() + 1, -1)
    where[inv[:ref.shape[0]]] = np.arange(ref.shape[0])
    return where[inv[ref.shape[0]:]]


def tv_finite(a, b) -> float:
    """TV between two finite distributions (objects with ``points``, ``weights``) on arbitrary,
    possibly different, supports: 1/2 sum over the union of |a(x) - b(x)|."""
    pa, wa = _merged(a.points, a.weights)
    pb, wb = _merged(b.points, b.weights)
    if pa.shape[1] != pb.shape[1]:
        raise ValueError(f"a, b: dimensions differ ({pa.shape[1]} and {pb.shape[1]})")
    idx = _lookup(pa, pb)
    diff = np.abs(wa - np.where(idx >= 0, wb[np.maximum(idx, 0)], 0.0)).sum()
    diff += wb.sum() - wb[idx[idx >= 0]].sum()   # mass of b outside a's support
    return float(0.5 * diff)


def tv_empirical(samples, exact) -> float:
    """TV between the empirical distribution of ``samples`` (rows) and an exact finite distribution.
    Biased upwards by sampling noise; compare with :func:`tv_noise_floor` at the same size."""
    s = as_float_array(samples, "samples", ndim=2)
    if s.shape[0] < 1:
        raise ValueError("samples: expected at least one row")
    uniq, counts = np.unique(s, axis=0, return_counts=True)
    from ..environment import Finite
    return tv_finite(Finite(uniq, counts / counts.sum()), exact)


def tv_noise_floor(probs, n: int, *, reps: int = 50, seed=None, rng=None) -> tuple[float, float]:
    """(mean, std) over ``reps`` simulations of TV(empirical of n exact draws, probs): the TV a
    perfect model would show with n samples. For small probabilities it is about
    1/2 sum_i sqrt(2 p_i (1 - p_i) / (pi n))."""
    probs = _check_probs(probs, "probs")
    n = check_int(n, "n")
    reps = check_int(reps, "reps")
    rng = as_rng(seed, rng)
    counts = rng.multinomial(n, probs / probs.sum(), size=reps)
    tv = 0.5 * np.abs(counts / n - probs).sum(1)
    return float(tv.mean()), float(tv.std(ddof=1)) if reps > 1 else float("nan")


def median_bandwidth(x, *, max_points: int = 1000) -> float:
    """The median heuristic: median pairwise Euclidean distance among the first ``max_points`` rows."""
    x = as_float_array(x, "x", ndim=2)[:check_int(max_points, "max_points", minimum=2)]
    if x.shape[0] < 2:
        raise ValueError("x: expected at least two rows for the median heuristic")
    sq = (x * x).sum(1)
    d2 = np.maximum(sq[:, None] + sq[None, :] - 2 * x @ x.T, 0.0)
    med = float(np.sqrt(np.median(d2[np.triu_indices(x.shape[0], 1)])))
    return med if med > 0 else 1.0


def _kernel_sum(a: np.ndarray, b: np.ndarray, gammas: np.ndarray, same: bool) -> float:
    """sum_{i, j} k(a_i, b_j) (i != j when ``same``), k = mean_s exp(-gamma_s |a - b|^2), blocked."""
    total = 0.0
    sb = (b * b).sum(1)
    step = max(1, _BLOCK // max(b.shape[0], 1))
    for s in range(0, a.shape[0], step):
        ac = a[s:s + step]
        d2 = np.maximum((ac * ac).sum(1)[:, None] + sb[None, :] - 2 * ac @ b.T, 0.0)
        total += sum(float(np.exp(-g * d2).sum()) for g in gammas) / len(gammas)
    if same:
        total -= a.shape[0]   # the diagonal, k(a_i, a_i) = 1
    return total


def mmd(a, b, *, bandwidths=None) -> float:
    """Unbiased squared maximum mean discrepancy (Gretton et al. 2012, MMD^2_u):

        1/(m(m-1)) sum_{i != j} k(a_i, a_j) + 1/(n(n-1)) sum_{i != j} k(b_i, b_j) - 2/(mn) sum_{i,j} k(a_i, b_j)

    with the Gaussian kernel k(u, v) = mean_s exp(-|u - v|^2 / (2 h_s^2)) over ``bandwidths`` h_s
    (a number or a sequence; default: the median heuristic h of the pooled sample times
    (1/2, 1, 2)). Zero in expectation when a and b come from the same distribution (so it can be
    slightly negative), positive in expectation otherwise; its null spread is O(1/n): compare
    with the same statistic between two samples of the data (a noise floor)."""
    a = as_float_array(a, "a", ndim=2)
    b = as_float_array(b, "b", ndim=2)
    if a.shape[0] < 2 or b.shape[0] < 2 or a.shape[1] != b.shape[1]:
        raise ValueError(f"a, b: expected two samples of >= 2 rows with equal widths, got {a.shape} and {b.shape}")
    if bandwidths is None:
        h = median_bandwidth(np.concatenate([a[:500], b[:500]]))
        hs = np.array([0.5, 1.0, 2.0]) * h
    else:
        hs = np.atleast_1d(as_float_array(bandwidths, "bandwidths"))
        if hs.ndim != 1 or hs.size == 0 or np.any(hs <= 0):
            raise ValueError(f"bandwidths: expected positive numbers, got {bandwidths!r}")
    gammas = 1.0 / (2.0 * hs ** 2)
    m, n = a.shape[0], b.shape[0]
    return float(_kernel_sum(a, a, gammas, True) / (m * (m - 1)) + _kernel_sum(b, b, gammas, True) / (n * (n - 1))
                 - 2.0 * _kernel_sum(a, b, gammas, False) / (m * n))


# -- everything together ------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class Evaluation:
    """Everything :func:`evaluate` measured (nats throughout). Dict fields:

    * ``reconstruction``: see :func:`reconstruction`; ``latents``: see :func:`latent_activity`;
    * ``generated``: distance of the model's marginal p(x) to the data, ``method`` "exact" (the
      exact marginal vs the exact data distribution: ``tv``; computed from p(x) on the data's
      support when d > 12, with ``model_mass_on_support`` = p(supp)),
      "exact-vs-empirical" (exact marginal vs the test images; ``tv_floor`` = the mean TV an exact
      sample of that size shows), "empirical-tv" (ancestral samples vs the exact data distribution,
      with ``tv_floor``) or "mmd" (ancestral samples vs half the test set: ``mmd``, with
      ``mmd_floor`` = the same statistic between the two test halves, and ``mmd_null_sd`` = its
      root mean square over 5 random half-splits of the test images, the spread of MMD^2 when
      both samples share a distribution: an MMD^2 within ~2 null sd of 0 is indistinguishable
      from the data at this sample size);
    * ``chain``: the same for the limiting distribution of the reconstruction chain (exact
      stationary distribution with ``spectral_gap``, ``relaxation_time``, ``residual`` and
      ``tv_to_marginal`` = TV(stationary, model marginal); or ``steps`` chain steps from training
      images).
    """

    dataset: str
    support: str
    dim: int
    n_eval: int
    seed: int | None
    model: str
    log_likelihood: Estimate | None
    true_log_likelihood: float | None
    ll_gap: float | None
    ll_gap_se: float | None
    kl_data_model: float | None
    kl_method: str | None
    reconstruction: dict
    latents: dict | None
    generated: dict
    chain: dict
    notes: tuple = ()

    def as_dict(self) -> dict:
        out = {}
        for f in self.__dataclass_fields__:
            v = getattr(self, f)
            out[f] = v.as_dict() if isinstance(v, Estimate) else jsonable(v)
        return out

    def summary(self) -> str:
        def f(v, p=4):
            return "n/a" if v is None or (isinstance(v, float) and not math.isfinite(v)) else f"{v:.{p}g}"

        lines = [(f"Evaluation of {self.model} on {self.dataset} ({self.support}, d={self.dim}), "
                  f"{self.n_eval} test images, seed {self.seed}")]
        if self.log_likelihood is not None:
            ll = self.log_likelihood
            lines.append(f"  log p(x): {ll}  [NLL {f(-ll.mean / (self.dim * math.log(2)))} bits/dim]")
        if self.true_log_likelihood is not None:
            s = f"  true data log p(x): {f(self.true_log_likelihood, 6)}"
            if self.ll_gap is not None:
                s += f"; gap (data - model) {f(self.ll_gap)} +/- {f(self.ll_gap_se, 2)}"
            lines.append(s)
        if self.kl_data_model is not None:
            lines.append(f"  KL(data || model) = {f(self.kl_data_model)} nats ({self.kl_method})")
        r = self.reconstruction
        rec = f"  reconstruction: -log p(x|z) {f(r['nll'])} +/- {f(r['nll_se'], 2)}; mse {f(r['mse'])}"
        if "error_rate" in r:
            rec += f"; pixel error {f(r['error_rate'])}"
        lines.append(rec)
        if self.latents is not None:
            lat = self.latents
            lines.append(f"  latents: {lat['n_active']}/{lat['n_units']} active; MI per unit (nats): "
                         + " ".join(f"{v:.3f}" for v in lat["mi"]))
        for name, g in (("samples p(x)", self.generated), ("chain limit", self.chain)):
            if not g:
                continue
            if "tv" in g:
                s = f"  {name}: TV to data {f(g['tv'])} ({g['method']}"
                s += f"; floor {f(g['tv_floor'])})" if g.get("tv_floor") is not None else ")"
            else:
                s = (f"  {name}: MMD^2 to data {f(g['mmd'])} (test halves: {f(g['mmd_floor'])}, "
                     f"null sd {f(g['mmd_null_sd'], 2)})")
            if "spectral_gap" in g:
                s += f"; spectral gap {f(g['spectral_gap'])}, relaxation {f(g['relaxation_time'])} steps"
            if g.get("tv_to_marginal") is not None:
                s += f"; TV to model marginal {f(g['tv_to_marginal'])}"
            if "steps" in g:
                s += f"; {g['steps']} steps"
            lines.append(s)
        lines += [f"  note: {n}" for n in self.notes]
        return "\n".join(lines)


def _sample_distance(samples, data, x_eval, bw, rng, out: dict) -> None:
    """TV (data.exact given, binary) or MMD (otherwise) of samples to the data, with noise floors."""
    exact = getattr(data, "exact", None)
    n = samples.shape[0]
    if exact is not None and data.support == "binary":
        out.update(method="empirical-tv", tv=tv_empirical(samples, exact),
                   tv_floor=tv_noise_floor(np.asarray(exact.weights, dtype=np.float64), n, rng=rng)[0], n_samples=n)
        return
    h = x_eval.shape[0] // 2
    if h < 2:
        out.update(method="none")
        return
    a, b = x_eval[:h], x_eval[h:2 * h]
    null = []
    for _ in range(5):
        perm = rng.permutation(2 * h)
        null.append(mmd(x_eval[perm[:h]], x_eval[perm[h:]], bandwidths=bw))
    out.update(method="mmd", mmd=mmd(samples[:h], a, bandwidths=bw), mmd_floor=mmd(b, a, bandwidths=bw),
               mmd_null_sd=float(np.sqrt(np.mean(np.square(null)))), bandwidths=list(bw), n_samples=h)


def evaluate(model, params, data, *, seed=0, K: int = 1000, chain_steps: int = 100, n_eval: int | None = 1000
             ) -> Evaluation:
    """Evaluate a trained model on ``data.x_test`` (its first ``n_eval`` rows; None = all).

    ``data`` is duck-typed like :class:`~.datasets.Dataset` (``name``, ``x_train``, ``x_test``,
    ``support``, ``exact``). Measures, each from its own random stream spawned from ``seed`` (an
    integer, None, or a Generator), so one measurement does not shift another's numbers:

    * log p(x): exact when the latent space is enumerable, else importance sampling with ``K``
      samples (skipped for an implicit prior); with ``data.exact``: the data's own mean log p(x) on
      the same images, the gap (paired SE) and KL(data || model) = sum_x w(x) log(w(x) / p(x)) over
      the exact support (exact, or "is" = with IS estimates, biased upwards);
    * reconstruction and latent activity;
    * ``generated`` and ``chain``: distances of the model marginal and of the chain's limiting
      distribution to the data: exact over all 2^d binary images when d <= 12 and the latents are
      enumerable (for the marginal also at any d when ``data.exact`` is given); otherwise from samples (ancestral, and ``chain_steps`` steps of the chain from
      training images): TV to ``data.exact`` when given, else MMD^2 with a Gaussian kernel mixing
      bandwidths h/20, h/10, h/4, h/2 and h, h the median distance of the test images.
    """
    K = check_int(K, "K")
    chain_steps = check_int(chain_steps, "chain_steps", minimum=0)
    for attr in ("x_train", "x_test", "support"):
        if not hasattr(data, attr):
            raise ValueError(f"data: expected a Dataset-like object with {attr}, got {type(data).__name__}")
    if data.support not in ("binary", "real"):
        raise ValueError(f"data: support must be 'binary' or 'real', got {data.support!r}")
    params = _f64(params)
    x_all = _check_x(model, data.x_test, "data.x_test")
    x_train = _check_x(model, data.x_train, "data.x_train")
    x = x_all if n_eval is None else x_all[:check_int(n_eval, "n_eval")]
    n, d = x.shape
    exact = getattr(data, "exact", None)
    if isinstance(seed, np.random.Generator):
        streams = seed.spawn(7)
    else:
        as_rng(seed)   # validates: None or an integer >= 0
        streams = [np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(7)]
    notes = []

    # log-likelihoods
    ll = true_ll = gap = gap_se = kl = kl_method = lp_support = None
    exact_ok = False
    if getattr(model, "has_prior_density", False):
        try:
            ll = log_likelihood_exact(model, params, x)
            exact_ok = True
        except ValueError as exc:
            notes.append(f"exact log-likelihood unavailable ({exc}); importance sampling with K={K}")
            ll = log_likelihood_is(model, params, x, K=K, rng=streams[0])
    else:
        notes.append("implicit prior: no likelihoods (compare samples instead)")
    if exact is not None:
        ref_pts, ref_w = _merged(exact.points, exact.weights)
        idx = _lookup(x, ref_pts)
        with np.errstate(divide="ignore"):
            true_per = np.where(idx >= 0, np.log(ref_w[np.maximum(idx, 0)]), -np.inf)
        true_ll = float(true_per.mean())
        if np.any(idx < 0):
            notes.append(f"{int((idx < 0).sum())} test images lie outside data.exact's support")
        if ll is not None:
            diff = true_per - ll.per_image
            gap, gap_se = _mean_se(diff)
            keep = ref_w > 0
            if exact_ok:
                lp = log_likelihood_exact(model, params, ref_pts[keep]).per_image
                lp_support = (keep, lp)
                kl_method = "exact"
            elif ref_pts.shape[0] <= 4096:
                lp = log_likelihood_is(model, params, ref_pts[keep], K=K, rng=streams[1]).per_image
                kl_method = f"is (K={K}, biased upwards)"
            else:
                lp = None
            if lp is not None:
                kl = float(np.sum(ref_w[keep] * (np.log(ref_w[keep]) - lp)))

    rec = reconstruction(model, params, x, rng=streams[2])
    try:
        lat = latent_activity(model, params, x, rng=streams[3])
    except ValueError as exc:
        lat = None
        notes.append(f"latent activity unavailable ({exc})")

    # model marginal and chain limit vs data
    generated, chain = {}, {}
    bw = None
    if not (exact is not None and data.support == "binary") and n >= 2:
        # the median distance h alone is blind to structure much finer than the data's spread
        # (spirals, rings): mix in bandwidths down to h / 20
        h = median_bandwidth(x)
        bw = [0.05 * h, 0.1 * h, 0.25 * h, 0.5 * h, h]
    exact_space = data.support == "binary" and d <= MAX_EXACT_DIM
    pts = binary_support(d) if exact_space else None
    empirical = None
    if exact_space:
        empirical = np.bincount(binary_index(x), minlength=2 ** d) / n

    def compare_exact(probs, out):
        if exact is not None:
            out.update(method="exact", tv=tv_exact(probs, exact))
        else:
            out.update(method="exact-vs-empirical", tv=total_variation(probs, empirical),
                       tv_floor=tv_noise_floor(probs, n, rng=streams[6])[0])

    marginal = None
    pmf = exact_ok and data.support == "binary" and isinstance(getattr(model, "p_head", None), H.Bernoulli)
    if pmf and exact_space:
        lp_all = log_likelihood_exact(model, params, pts).per_image
        marginal = np.exp(lp_all - logsumexp(lp_all))
        if abs(logsumexp(lp_all)) > 1e-6:
            notes.append(f"exact marginal sums to {np.exp(logsumexp(lp_all)):.8f} over all images (renormalised)")
        compare_exact(marginal, generated)
    elif pmf and lp_support is not None:
        # p(x) sums to 1 over {0,1}^d, so TV = 1/2 [sum_supp |p - w| + (1 - sum_supp p)] needs p on supp(w) only
        keep, lp = lp_support
        pm = np.exp(lp)
        generated.update(method="exact", tv=float(0.5 * (np.abs(pm - ref_w[keep]).sum() + max(0.0, 1 - pm.sum()))),
                         model_mass_on_support=float(pm.sum()))
    else:
        gen = np.asarray(model.generate(params, n, streams[4])[1], dtype=np.float64)
        _sample_distance(gen, data, x, bw, streams[6], generated)

    stat = None
    if exact_space:
        try:
            stat = stationary(transition_matrix(model, params, pts))
        except ValueError as exc:
            notes.append(f"exact chain limit unavailable ({exc}); sampled chains")
    if stat is not None:
        compare_exact(stat.probs, chain)
        chain.update(spectral_gap=stat.spectral_gap, second_eigenvalue=stat.second_eigenvalue,
                     relaxation_time=stat.relaxation_time, residual=stat.residual, converged=stat.converged)
        if marginal is not None:
            chain["tv_to_marginal"] = total_variation(stat.probs, marginal)
        if not stat.converged:
            notes.append(f"stationary distribution residual {stat.residual:.3g} (not converged)")
    else:
        rng = streams[5]
        x0 = x_train[rng.choice(x_train.shape[0], n, replace=x_train.shape[0] < n)]
        samples = chain_samples(model, params, x0, steps=chain_steps, rng=rng)
        chain["steps"] = chain_steps
        _sample_distance(samples, data, x, bw, streams[6], chain)

    return Evaluation(dataset=str(getattr(data, "name", "data")), support=data.support, dim=d, n_eval=n,
                      seed=seed if isinstance(seed, (int, np.integer)) else None, model=type(model).__name__,
                      log_likelihood=ll, true_log_likelihood=true_ll, ll_gap=gap, ll_gap_se=gap_se,
                      kl_data_model=kl, kl_method=kl_method, reconstruction=rec, latents=lat,
                      generated=generated, chain=chain, notes=tuple(notes))
