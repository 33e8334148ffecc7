"""The evaluation report of a trained model on a dataset: :func:`evaluate` bundles likelihoods,
reconstruction, latent usage and the distances of the model marginal and of the chain's
limiting distribution to the data into an :class:`Evaluation` (the result contract)."""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from scipy.special import logsumexp

from ...core.formatting import number
from ...core.jsonable import jsonable
from ...core.validation import as_rng, check_int
from ...families.bernoulli import binary_index, binary_support
from ...stats import lookup, median_bandwidth, merged_support, mmd, stationary, total_variation
from ...stats import tv_empirical, tv_exact, tv_noise_floor
from .. import heads as H
from .chain import chain_samples, transition_matrix
from .common import MAX_EXACT_DIM, check_x, f64, mean_se
from .likelihood import Estimate, log_likelihood_exact, log_likelihood_is
from .usage import latent_activity, reconstruction

#: the named random streams of :func:`evaluate`, spawned in this order from its seed
STREAMS = ("likelihood", "kl", "reconstruction", "latents", "generated_samples", "chain_samples",
           "generated_distance", "chain_distance")


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
      images);
    * ``options``: the options :func:`evaluate` ran with (K, chain_steps).
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
    options: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {f: jsonable(getattr(self, f)) for f in self.__dataclass_fields__}

    def summary(self) -> str:
        f = number
        lines = [(f"Evaluation of {self.model} on {self.dataset} ({self.support}, d={self.dim}), "
                  f"{self.n_eval} test images, seed {self.seed}")]
        if self.log_likelihood is not None:
            ll = self.log_likelihood
            lines.append(f"  log p(x): {ll.summary()}  [NLL {f(-ll.mean / (self.dim * math.log(2)))} bits/dim]")
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


def _streams(seed) -> dict[str, np.random.Generator]:
    """One independent generator per measurement (``STREAMS``), spawned from ``seed`` (an integer,
    None, or a Generator), so that one measurement never shifts another's numbers."""
    if isinstance(seed, np.random.Generator):
        children = seed.spawn(len(STREAMS))
    else:
        as_rng(seed)   # validates: None or an integer >= 0
        children = [np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(len(STREAMS))]
    return dict(zip(STREAMS, children))


def _check_data(data) -> None:
    for attr in ("x_train", "x_test", "support"):
        if not hasattr(data, attr):
            raise ValueError(f"data: expected a Dataset-like object with {attr}, got {type(data).__name__}")
    if data.support not in ("binary", "real"):
        raise ValueError(f"data: support must be 'binary' or 'real', got {data.support!r}")


def _likelihoods(model, params, x, exact, K: int, streams, notes: list) -> dict:
    """log p(x) (exact, else IS), the data's own log p(x) with the gap, and KL(data || model)."""
    out = dict(ll=None, true_ll=None, gap=None, gap_se=None, kl=None, kl_method=None, lp_support=None,
               exact_ok=False)
    if getattr(model, "has_prior_density", False):
        try:
            out["ll"] = log_likelihood_exact(model, params, x)
            out["exact_ok"] = True
        except ValueError as exc:
            notes.append(f"exact log-likelihood unavailable ({exc}); importance sampling with K={K}")
            out["ll"] = log_likelihood_is(model, params, x, K=K, rng=streams["likelihood"])
    else:
        notes.append("implicit prior: no likelihoods (compare samples instead)")
    if exact is None:
        return out
    ref_pts, ref_w = merged_support(exact.points, exact.weights)
    idx = lookup(x, ref_pts)
    with np.errstate(divide="ignore"):
        true_per = np.where(idx >= 0, np.log(ref_w[np.maximum(idx, 0)]), -np.inf)
    out["true_ll"] = float(true_per.mean())
    if np.any(idx < 0):
        notes.append(f"{int((idx < 0).sum())} test images lie outside data.exact's support")
    if out["ll"] is None:
        return out
    out["gap"], out["gap_se"] = mean_se(true_per - out["ll"].per_image)
    keep = ref_w > 0
    lp = None
    if out["exact_ok"]:
        lp = log_likelihood_exact(model, params, ref_pts[keep]).per_image
        out["lp_support"], out["kl_method"] = (keep, lp, ref_w), "exact"
    elif ref_pts.shape[0] <= 4096:
        lp = log_likelihood_is(model, params, ref_pts[keep], K=K, rng=streams["kl"]).per_image
        out["kl_method"] = f"is (K={K}, biased upwards)"
    if lp is not None:
        out["kl"] = float(np.sum(ref_w[keep] * (np.log(ref_w[keep]) - lp)))
    return out


def _compare_exact(probs, exact, empirical, n: int, rng, out: dict) -> None:
    """Distance of a distribution over all 2^d images to the data: exact, or to the empirical test
    distribution with the noise floor of a perfect model."""
    if exact is not None:
        out.update(method="exact", tv=tv_exact(probs, exact))
    else:
        out.update(method="exact-vs-empirical", tv=total_variation(probs, empirical),
                   tv_floor=tv_noise_floor(probs, n, rng=rng)[0])


def _generated(model, params, data, x, lik: dict, ctx: dict, streams, notes: list):
    """(distance of the model marginal p(x) to the data, the marginal over all 2^d images or None)."""
    out, marginal = {}, None
    pmf = lik["exact_ok"] and data.support == "binary" and isinstance(getattr(model, "p_head", None), H.Bernoulli)
    if pmf and ctx["points"] is not None:
        lp_all = log_likelihood_exact(model, params, ctx["points"]).per_image
        marginal = np.exp(lp_all - logsumexp(lp_all))
        if abs(logsumexp(lp_all)) > 1e-6:
            notes.append(f"exact marginal sums to {np.exp(logsumexp(lp_all)):.8f} over all images (renormalised)")
        _compare_exact(marginal, ctx["exact"], ctx["empirical"], x.shape[0], streams["generated_distance"], out)
    elif pmf and lik["lp_support"] is not None:
        # p(x) sums to 1 over {0,1}^d, so TV = 1/2 [sum_supp |p - w| + (1 - sum_supp p)] needs p on supp(w) only
        keep, lp, ref_w = lik["lp_support"]
        p_support = np.exp(lp)
        out.update(method="exact",
                   tv=float(0.5 * (np.abs(p_support - ref_w[keep]).sum() + max(0.0, 1 - p_support.sum()))),
                   model_mass_on_support=float(p_support.sum()))
    else:
        gen = np.asarray(model.generate(params, x.shape[0], streams["generated_samples"])[1], dtype=np.float64)
        _sample_distance(gen, data, x, ctx["bandwidths"], streams["generated_distance"], out)
    return out, marginal


def _chain(model, params, data, x, x_train, marginal, ctx: dict, chain_steps: int, streams, notes: list) -> dict:
    """Distance of the chain's limiting distribution to the data: exact over all 2^d images when the
    transition matrix can be formed, else ``chain_steps`` steps of sampled chains from training images."""
    out, stat = {}, None
    if ctx["points"] is not None:
        try:
            stat = stationary(transition_matrix(model, params, ctx["points"]))
        except ValueError as exc:
            notes.append(f"exact chain limit unavailable ({exc}); sampled chains")
    if stat is not None:
        _compare_exact(stat.probs, ctx["exact"], ctx["empirical"], x.shape[0], streams["chain_distance"], out)
        out.update(spectral_gap=stat.spectral_gap, second_eigenvalue=stat.second_eigenvalue,
                   relaxation_time=stat.relaxation_time, residual=stat.residual, converged=stat.converged)
        if marginal is not None:
            out["tv_to_marginal"] = total_variation(stat.probs, marginal)
        if not stat.converged:
            notes.append(f"stationary distribution residual {stat.residual:.3g} (not converged)")
        return out
    rng, n = streams["chain_samples"], x.shape[0]
    x0 = x_train[rng.choice(x_train.shape[0], n, replace=x_train.shape[0] < n)]
    samples = chain_samples(model, params, x0, steps=chain_steps, rng=rng)
    out["steps"] = chain_steps
    _sample_distance(samples, data, x, ctx["bandwidths"], streams["chain_distance"], out)
    return out


def _context(data, x) -> dict:
    """What the two distance measurements share: the exact data distribution, all 2^d images with
    the empirical test distribution on them (binary data, d <= 12), the MMD bandwidths."""
    exact = getattr(data, "exact", None)
    n, d = x.shape
    bandwidths = None
    if not (exact is not None and data.support == "binary") and n >= 2:
        # the median distance h alone is blind to structure much finer than the data's spread
        # (spirals, rings): mix in bandwidths down to h / 20
        h = median_bandwidth(x)
        bandwidths = [0.05 * h, 0.1 * h, 0.25 * h, 0.5 * h, h]
    exact_space = data.support == "binary" and d <= MAX_EXACT_DIM
    return {"exact": exact, "bandwidths": bandwidths, "points": binary_support(d) if exact_space else None,
            "empirical": np.bincount(binary_index(x), minlength=2 ** d) / n if exact_space else None}


def evaluate(model, params, data, *, seed=0, K: int = 1000, chain_steps: int = 100, n_eval: int | None = 1000
             ) -> Evaluation:
    """Evaluate a trained model on ``data.x_test`` (its first ``n_eval`` rows; None = all).

    ``data`` is duck-typed like :class:`~..datasets.Dataset` (``name``, ``x_train``, ``x_test``,
    ``support``, ``exact``). Measures, each from its own named random stream (``STREAMS``)
    spawned from ``seed`` (an integer, None, or a Generator):

    * log p(x): exact when the latent space is enumerable, else importance sampling with ``K``
      samples (skipped for an implicit prior); with ``data.exact``: the data's own mean log p(x) on
      the same images, the gap (paired SE) and KL(data || model) = sum_x w(x) log(w(x) / p(x)) over
      the exact support (exact, or "is" = with IS estimates, biased upwards);
    * reconstruction and latent activity;
    * ``generated`` and ``chain``: distances of the model marginal and of the chain's limiting
      distribution to the data: exact over all 2^d binary images when d <= 12 and the latents are
      enumerable (for the marginal also at any d when ``data.exact`` is given); otherwise from
      samples (ancestral, and ``chain_steps`` steps of the chain from training images): TV to
      ``data.exact`` when given, else MMD^2 with a Gaussian kernel mixing bandwidths h/20, h/10,
      h/4, h/2 and h, h the median distance of the test images.
    """
    K = check_int(K, "K")
    chain_steps = check_int(chain_steps, "chain_steps", minimum=0)
    _check_data(data)
    params = f64(params)
    x_all = check_x(model, data.x_test, "data.x_test")
    x_train = check_x(model, data.x_train, "data.x_train")
    x = x_all if n_eval is None else x_all[:check_int(n_eval, "n_eval")]
    streams, notes = _streams(seed), []
    lik = _likelihoods(model, params, x, getattr(data, "exact", None), K, streams, notes)
    rec = reconstruction(model, params, x, rng=streams["reconstruction"])
    try:
        lat = latent_activity(model, params, x, rng=streams["latents"])
    except ValueError as exc:
        lat = None
        notes.append(f"latent activity unavailable ({exc})")
    ctx = _context(data, x)
    generated, marginal = _generated(model, params, data, x, lik, ctx, streams, notes)
    chain = _chain(model, params, data, x, x_train, marginal, ctx, chain_steps, streams, notes)
    return Evaluation(dataset=str(getattr(data, "name", "data")), support=data.support, dim=x.shape[1],
                      n_eval=x.shape[0], seed=seed if isinstance(seed, (int, np.integer)) else None,
                      model=type(model).__name__, log_likelihood=lik["ll"], true_log_likelihood=lik["true_ll"],
                      ll_gap=lik["gap"], ll_gap_se=lik["gap_se"], kl_data_model=lik["kl"],
                      kl_method=lik["kl_method"], reconstruction=rec, latents=lat, generated=generated, chain=chain,
                      notes=tuple(notes), options={"K": K, "chain_steps": chain_steps})
