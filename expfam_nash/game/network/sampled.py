"""Monte Carlo estimates of a network game (an engine independent of the closed form): each phase
is sampled ancestrally -- roots ~ N(0, moment) (only second moments enter the utilities), then every
generated block from its factor -- and each factor of the learning player is scored on the draws:

    fixed variance s:  log N(y; A u, s I),   gradient (y - A u) u^T / s
    learned:           log N(y; eta1 u v, v), gradient d/d eta1_a = (y_a - mean_a) u,
                       d/d beta_a = y_a^2 - (mean_a^2 + v_a)      (T = (y, y^2))
"""
from __future__ import annotations

import numpy as np

from ...core.constants import LOG_2PI
from ..params import Params
from ..sampled import SampledEstimate
from . import factor as fm
from .spec import Network

__all__ = ["sample_phase", "estimate"]


def sample_phase(network: Network, generator: str, par: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    """n draws (rows) of every block of the phase that ``generator``'s factors generate."""
    phase = network.phase("encoder" if generator == "decoder" else "decoder")
    out = np.zeros((n, network.size))
    vals, vecs = np.linalg.eigh(phase.moment)
    root = vecs * np.sqrt(np.clip(vals, 0.0, None))
    out[:, network.indices(phase.roots)] = rng.standard_normal((n, vals.size)) @ root.T
    layouts = {lay.factor.target: lay for lay in network.layouts[generator]}
    for f in network.generation_order(generator):
        lay = layouts[f.target]
        G, v = fm.channel(lay, lay.block(par))
        out[:, lay.target_index] = out[:, lay.parent_index] @ G.T + rng.standard_normal((n, lay.n)) * np.sqrt(v)
    return out


def _score(lay, block: np.ndarray, draws: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-sample log-likelihood (n,) and gradient (n, n_target, width) of one factor."""
    y, u = draws[:, lay.target_index], draws[:, lay.parent_index]
    G, v = fm.channel(lay, block)
    mean = u @ G.T
    ll = np.sum(-0.5 * (y - mean) ** 2 / v - 0.5 * (LOG_2PI + np.log(v)), axis=1)
    if not lay.factor.learned:
        return ll, np.einsum("na,nb->nab", (y - mean) / v, u)
    g = np.zeros((y.shape[0], lay.n, lay.m + 1))
    g[:, :, :lay.m] = np.einsum("na,nb->nab", y - mean, u)
    g[:, :, lay.m] = y ** 2 - (mean ** 2 + v)
    return ll, g


def estimate(game, params: Params, n: int, rng: np.random.Generator) -> SampledEstimate:
    """Utilities and pseudo-gradients (full-shaped) with standard errors from n draws per phase."""
    net, rho = game.network, game.rho
    out = []
    for player, par, other in (("decoder", params.theta, params.phi), ("encoder", params.phi, params.theta)):
        draws = sample_phase(net, "encoder" if player == "decoder" else "decoder", other, n, rng)
        ll = np.zeros(n)
        g, g_se = np.zeros(par.shape), np.zeros(par.shape)
        for lay in net.layouts[player]:
            block = lay.block(par)
            lls, gs = _score(lay, block, draws)
            ll += lls
            sl = (slice(lay.row, lay.row + lay.n), slice(lay.col, lay.col + lay.width))
            g[sl] = gs.mean(0)
            g_se[sl] = gs.std(0, ddof=1) / np.sqrt(n) if n > 1 else np.inf
            g[sl][:, :lay.m] -= rho * block[:, :lay.m]
        penalty = 0.5 * rho * float(np.sum(par[game.player(player).penalty_mask] ** 2))
        se = float(ll.std(ddof=1) / np.sqrt(n)) if n > 1 else np.inf
        out.append((float(ll.mean() - penalty), se, g, g_se))
    (lp, sp, gp, sgp), (lq, sq, gq, sgq) = out
    return SampledEstimate((lp, lq), (sp, sq), Params(gp, gq), Params(sgp, sgq), n)
