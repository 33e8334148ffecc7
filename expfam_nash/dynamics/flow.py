"""The gradient flow of the game, integrated by simultaneous ascent with an adaptive step, and the
saturation test (points where float64 cannot certify an equilibrium)."""
from __future__ import annotations

import numpy as np

from ..core.validation import check_int, check_positive
from ..game import Game, Params, is_network, natural_extent
from . import algorithms as alg
from .trajectory import Trajectory

#: at |natural parameter| >= this on a finite support, probabilities are within e^-30 of 0 or 1
SATURATION = 30.0


def _flow_chunk(game: Game, params: Params, lr: float, n: int, tol: float):
    """n steps of simultaneous ascent: the engine's compiled flow when it has one, else the loop."""
    compiled = game.need_engine().flow(params.theta, params.phi, lr, n, tol)
    if compiled is not None:
        th, ph, res, norm, utils, steps = compiled
        return Params(th, ph), res, norm, utils, steps
    state, traj = alg.run(game, alg.simultaneous(game, lr), params, n, tol=tol)
    if traj.failure:        # a step left the domain or overflowed: a blow-up (the caller halves lr)
        return params, np.array([np.nan]), np.array([np.nan]), np.full((1, 2), np.nan), 0
    return state.params, traj.residual, traj.param_norm, traj.utilities, traj.iterations


def _trajectory(steps, res, utils, norm) -> Trajectory:
    return Trajectory("flow", np.concatenate(steps).astype(np.int64), np.concatenate(res),
                      np.concatenate(utils), np.concatenate(norm))


def initial_lr(game: Game, params: Params) -> float:
    """1 / (largest curvature of either player's own utility) at ``params``."""
    hp, hq = game.own_hessians(params)
    return 1.0 / max(np.linalg.eigvalsh(-hp).max(initial=0.0), np.linalg.eigvalsh(-hq).max(initial=0.0), 1e-12)


def gradient_flow(game: Game, params: Params, max_steps: int, tol: float, lr: float | None = None,
                  chunk: int = 250, on_chunk=None, state: dict | None = None):
    """Adaptive-step simultaneous ascent until residual <= tol, escape, or ``max_steps``: the step
    is halved when the residual grows over a chunk, grown by 1.25 while it shrinks by 30%.
    ``on_chunk(params, trajectory)`` may return True to stop early. Returns (params, Trajectory, lr);
    ``state["stop"]`` (if given) says why it stopped: "tol", "callback", "budget", "collapsed" (the
    step fell below 1e-12 of the first one: the residual kept growing) or "short chunk"."""
    lr = initial_lr(game, params) if lr is None else check_positive(lr, "lr")
    check_int(max_steps, "max_steps", minimum=0)
    check_int(chunk, "chunk")
    lr0, why = lr, "budget"
    steps, res, norm, utils = [np.zeros(0)], [np.zeros(0)], [np.zeros(0)], [np.zeros((0, 2))]
    done, p = 0, params
    while done < max_steps:
        n = min(chunk, max_steps - done)
        new, r, nm, u, k = _flow_chunk(game, p, lr, n, tol)
        if not np.all(np.isfinite(r)) or (k > 0 and r[-1] > 2.0 * r[0]):
            lr *= 0.5
            if not lr >= 1e-12 * lr0:      # 40 halvings at most (and a NaN stops at once)
                why = "collapsed"
                break
            continue
        first = 0 if done == 0 else 1
        steps.append(np.arange(k + 1)[first:] + done)
        res.append(r[first:])
        norm.append(nm[first:])
        utils.append(u[first:])
        done += k
        p = new
        if r[-1] <= tol or k < n:
            why = "tol" if r[-1] <= tol else "short chunk"
            break
        if r[-1] < 0.7 * r[0]:
            lr *= 1.25
        if on_chunk is not None and on_chunk(p, _trajectory(steps, res, utils, norm)):
            why = "callback"
            break
    if state is not None:
        state["stop"] = why
    return p, _trajectory(steps, res, utils, norm), lr


def saturated(game: Game, params: Params) -> bool:
    """A point where float64 cannot certify an equilibrium: on finite supports some natural parameter
    has |eta| >= SATURATION (probabilities within e^-30 of 0 or 1, gradients below rounding);
    for learned Gaussian variances, a variance <= 1e-9 times the data's largest variance (the boundary of the
    domain). Runs that end there have left every compact set, whatever their residual. Network games
    answer themselves (``NetworkStructure.saturated``)."""
    if is_network(game):
        return game.saturated(params)
    finite = game.finite_support
    if finite is not None and natural_extent(finite, params.theta, params.phi) >= SATURATION:
        return True
    out = [float(player.family.noise_variances(par).min())
           for player, par in ((game.decoder, params.theta), (game.encoder, params.phi))
           if player.family.gaussian and player.family.fixed_variance is None]
    if not out:
        return False
    scale = float(np.max(np.diag(np.atleast_2d(game.data.moments()[1]))))    # the data's own units
    return min(out) <= 1e-9 * (scale if scale > 0 else 1.0)
