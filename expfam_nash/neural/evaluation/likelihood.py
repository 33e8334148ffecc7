"""Log-likelihoods of a latent-variable model on data: exact (a sum over every latent
configuration) and importance-sampled (a stochastic lower bound with its Monte-Carlo error).

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

"SE" = standard error across images, std(ddof=1) / sqrt(n): how the test-set mean would vary with
another test set.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from scipy.special import logsumexp

from ...core.jsonable import jsonable
from ...core.validation import as_rng, check_int
from ..protocol import ExactMarginal, HeadModel
from . import common
from .common import auto_batch, check_density, check_x, f64, latent_configs


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

    def to_dict(self) -> dict:
        return jsonable({"mean": self.mean, "se": self.se, "n": self.n, "method": self.method, "K": self.K,
                         "mc_se": self.mc_se, "ess": self.ess, "elbo": self.elbo})

    def summary(self) -> str:
        extra = ""
        if self.method == "is":
            extra = f", K={self.K}, MC SE {self.mc_se:.3g}, ESS {self.ess:.1f}, ELBO {self.elbo:.4f}"
        return f"{self.mean:.4f} +/- {self.se:.4f} nats ({self.method}{extra})"

    __str__ = summary


def _per_image(values: np.ndarray, method: str, **kw) -> Estimate:
    v = np.asarray(values, dtype=np.float64)
    se = float(v.std(ddof=1) / np.sqrt(v.size)) if v.size > 1 else float("nan")
    v.setflags(write=False)
    return Estimate(float(v.mean()), se, v, method, **kw)


def log_likelihood_exact(model, params, x) -> Estimate:
    """Exact log p(x) = logsumexp_z [log pi(z) + log p(x|z)] per row of ``x``, summing over every
    latent configuration (at most ``MAX_LATENT_CONFIGS``). Uses ``model.log_marginal_exact`` when
    the model has it; for the one-layer VAE the decoder runs once per configuration and each
    block of images x configurations is one matrix product (closed forms for the Bernoulli,
    categorical and Gaussian heads); other models use ``log_joint`` on tiled pairs. Memory stays
    bounded: configurations and images are processed in blocks (a few million numbers per
    intermediate array) joined by a running logsumexp.

    Raises ValueError for an implicit prior or a latent space that is infinite or too large."""
    check_density(model, "the exact log-likelihood")
    params = f64(params)
    x = check_x(model, x)
    if isinstance(model, ExactMarginal):
        per = np.asarray(model.log_marginal_exact(params, x), dtype=np.float64)
        return _per_image(per, "exact")
    z = latent_configs(model)
    nz = z.shape[0]
    log_pz = np.asarray(model.log_prior(z), dtype=np.float64)
    n = x.shape[0]
    fast = isinstance(model, HeadModel)
    # blocks of configurations (outer: the decoder runs once per configuration) and of images
    # (inner), combined by a running logsumexp; each intermediate array stays ~common.BLOCK numbers
    width = model.p_head.n_out if fast else 1
    cz = max(1, (common.BLOCK // max(width, 1)) if fast else common.MODEL_ROWS)
    acc = np.full(n, -np.inf)
    for zs in range(0, nz, cz):
        zc, lpz = z[zs:zs + cz], log_pz[zs:zs + cz]
        table = model.decoder_out(params, zc) if fast else None
        m = max(1, (common.BLOCK if fast else common.MODEL_ROWS) // len(zc))
        for s in range(0, n, m):
            xc = x[s:s + m]
            if fast:
                lj = model.p_head.log_prob_table(table, xc).T + lpz
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
    check_density(model, "the importance-sampled log-likelihood")
    K = check_int(K, "K")
    rows = auto_batch(model) if batch is None else check_int(batch, "batch")
    params = f64(params)
    x = check_x(model, x)
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


