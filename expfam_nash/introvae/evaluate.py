"""The benchmark's final evaluation of a trained state (the reference protocol, :mod:`.metrics`).

* Generated points: x = D(z), z ~ P (mixture weights included), the decoder mean for every method.
* grid_kl (and kl_nats) from one draw of ``eval_points`` data and generated points, grid_jsd (and
  js_nats) from a second, independent draw, as the reference calls its histogram routine twice.
* gnELBO: NE(x) = Rec(x, D(mu(x))) + KL(q(.|x) || P) with M Monte Carlo draws shared by every point
  (drawn once), log-variance clamped at -80 inside log q, over the ``eval_grid``^2 grid and
  ``eval_data`` data points; ``gnelbo`` is in the table's units (x 1e7), ``gnelbo_raw`` is not.

Everything is drawn from ``numpy.random.default_rng([seed, 3])``: the same state gives the same numbers.
"""
from __future__ import annotations

import numpy as np

from . import data as D
from . import metrics as MT
from . import networks as N
from . import priors as P
from .config import IntroConfig
from .objectives import mc_kl

CHUNK = 16384
LV_FLOOR = -80.0


def prior_view(config: IntroConfig, state, nets) -> P.PriorView:
    return P.view(state.stage, state.params, nets, config.latent_dim, state.clip_bounds)


def generate(config: IntroConfig, state, nets, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """(x = D(z), z) for n prior draws."""
    z = P.sample(prior_view(config, state, nets), n, rng)[0]
    return N.forward(nets["decoder"], state.params["decoder"], z)[0].astype(np.float64), z


def negative_elbo(config: IntroConfig, state, nets, points: np.ndarray, eps: np.ndarray) -> np.ndarray:
    """NE per point (module docstring), in chunks of CHUNK points."""
    pv = prior_view(config, state, nets)
    p, d = state.params, config.latent_dim
    eps = np.ascontiguousarray(eps, dtype=p["encoder"].dtype)
    out = np.empty(len(points))
    for a in range(0, len(points), CHUNK):
        x = points[a:a + CHUNK]
        mu, lv = N.split_gaussian(N.forward(nets["encoder"], p["encoder"], x)[0], d)
        rec = N.reconstruction(x, N.forward(nets["decoder"], p["decoder"], mu)[0])
        out[a:a + len(x)] = rec + mc_kl(mu, lv, eps, pv, q_grad=False, lv_floor=LV_FLOOR).kl
    return out


def evaluate(config: IntroConfig, state, nets) -> tuple[dict, dict]:
    """(metrics, arrays for figures): module docstring."""
    rng = np.random.default_rng([config.seed, 3])
    g = D.grid_scale(config.dataset)
    n = config.eval_points
    draws = []
    for _ in range(2):
        x_data = D.sample(config.dataset, n, rng)
        x_gen, z_gen = generate(config, state, nets, n, rng)
        draws.append((x_data, x_gen, z_gen))
    first = MT.histogram_metrics(draws[0][0], draws[0][1], g)
    second = MT.histogram_metrics(draws[1][0], draws[1][1], g)
    eps = rng.standard_normal((1, config.mc_samples, config.latent_dim))
    ne_grid = negative_elbo(config, state, nets, MT.evaluation_grid(g, config.eval_grid), eps)
    x_ne = D.sample(config.dataset, config.eval_data, rng)
    ne_data = negative_elbo(config, state, nets, x_ne, eps)
    raw = MT.gnelbo(ne_grid, ne_data) if np.all(np.isfinite(ne_grid)) and np.all(np.isfinite(ne_data)) else None
    metrics = {"grid_kl": first["grid_kl"], "grid_jsd": second["grid_jsd"],
               "gnelbo": None if raw is None else raw * MT.GNELBO_UNIT, "gnelbo_raw": raw,
               "kl_nats": first["kl_nats"], "js_nats": second["js_nats"],
               "generated_inside": [first["generated_inside"], second["generated_inside"]], "eval_points": n}
    pv = prior_view(config, state, nets)
    mu = N.forward(nets["encoder"], state.params["encoder"], draws[0][0])[0][:, :config.latent_dim]
    arrays = {"data": draws[0][0], "generated": draws[0][1], "latent_generated": draws[0][2],
              "latent_data": mu.astype(np.float64), "prior_means": pv.means, "prior_logvars": pv.logvars,
              "prior_weights": pv.weights}
    return metrics, arrays
