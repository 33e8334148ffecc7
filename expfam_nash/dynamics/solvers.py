"""The solve methods: the ``SOLVERS`` registry behind ``solve(method=...)``, the CLI's ``--method``
choices, the docs' table and the solver conformance tests.

A solver is ``solver(game, params, options) -> (params, trajectory, escape test or None, reason)``;
``solve`` certifies what it returns. ``meta["exact"]``: the method needs an exact engine;
``meta["flow"]``: the method follows the game's dynamics (so growth of its parameters is evidence
of an escape; Newton or best-response iterations that wander off have merely failed).

Default method ``"auto"`` (exact games): the gradient flow, integrated by simultaneous gradient
ascent with an adaptive step, then damped Newton on the pseudo-gradient to polish. The flow makes
the end point generic (saddles and unstable equilibria repel it); Newton is accepted only if it
converges close to where the flow was heading. A run whose parameter norm grows like log(t) while
the residual shrinks is reported ``diverged`` (escape to infinity), never ``converged``.
"""
from __future__ import annotations

import sys
from dataclasses import asdict, dataclass

import numpy as np

from ..core.parsing import optional_float
from ..core.registry import Arg, Registry
from ..game import Game, Params
from . import algorithms as alg
from .escape import escape_test
from .flow import gradient_flow, saturated
from .trajectory import Trajectory

SOLVERS: Registry = Registry("solver")


#: the options of ``solve`` (also the CLI's flags and the sweep layer's grid keys)
SOLVE_ARGS = (Arg("method", str, "auto", "solve method"),
              Arg("seed", int, 0, "seed of the random start (and of the stochastic stream)"),
              Arg("tol", float, 1e-10, "residual tolerance"),
              Arg("max_steps", int, 20000, "step budget"),
              Arg("lr", optional_float, None, "step size (default: adaptive for auto, 0.5 for the plain "
                                               "iterations, 0.5/(1+t/1000) for stochastic)"),
              Arg("batch_size", int, 256, "minibatch size of the stochastic method"))


@dataclass(frozen=True)
class SolveOptions:
    """The options ``solve`` ran with (recorded in the result)."""

    method: str = "auto"
    seed: int | None = 0
    tol: float = 1e-10
    max_steps: int = 20000
    lr: float | None = None
    batch_size: int = 256
    progress: bool = False

    def to_dict(self) -> dict:
        out = asdict(self)
        del out["progress"]
        return out

    def summary(self) -> str:
        return ", ".join(f"{k}={v}" for k, v in self.to_dict().items())


def _stalled(traj: Trajectory) -> bool:
    """After >= 2000 steps, the residual fell by less than half over the last half of the run."""
    t = traj.iterations
    if t < 2000:
        return False
    half = np.searchsorted(traj.steps, t // 2)
    return bool(traj.residual[-1] > 0.5 * traj.residual[half])


def _polish(game: Game, start: Params, tol: float):
    """(point, trajectory, not strictly unstable) of a Newton polish that lands close to ``start``
    on a non-saturated equilibrium; point is None otherwise."""
    state, ptraj = alg.run(game, alg.newton(game, tol=tol), start, 60, tol=tol)
    polished = state.params
    moved = np.linalg.norm(game.flatten(polished) - game.flatten(start))
    if ptraj.residual[-1] > tol or moved > 1.0 + 0.1 * start.norm() or saturated(game, polished):
        return None, ptraj, False
    eig = game.spectrum(polished)
    return polished, ptraj, bool(eig.real.max() <= 1e-7 * max(1.0, float(np.abs(eig).max())))


def _flow_progress(max_steps: int, enabled: bool):
    """The flow's per-chunk callback: progress on stderr; stop when stalled without escaping."""
    def on_chunk(p, tr):
        if enabled:
            print(f"\rflow: step {tr.iterations}/{max_steps} residual {tr.residual[-1]:.3e} "
                  f"|params| {tr.param_norm[-1]:.4g}", end="", file=sys.stderr, flush=True)
        return _stalled(tr) and not escape_test(tr.steps, tr.param_norm, tr.residual).escaping
    return on_chunk


@SOLVERS.register("auto", help="gradient flow (adaptive step), then Newton polish; best-response iteration "
                               "when the flow stalls", exact=True, flow=True)
def auto(game: Game, params: Params, opts: SolveOptions):
    """Flow, then Newton polish; if the flow stalls (stiff directions, e.g. learned variances),
    best-response iteration, then Newton polish. A polished point with an eigenvalue of positive
    real part (a saddle the flow passed near) is kept only as a fallback while the flow goes on: the
    default method aims for a stable equilibrium."""
    tol, max_steps, lr = opts.tol, opts.max_steps, opts.lr
    polish_at = 1e-4 * max(1.0, game.residual(params))
    traj, used, escape, fallback = None, 0, None, None
    on_chunk = _flow_progress(max_steps, opts.progress)
    while used < max_steps:
        p, piece, lr = gradient_flow(game, params, max_steps - used, polish_at, lr, on_chunk=on_chunk)
        if opts.progress:
            print(file=sys.stderr)
        traj = piece if traj is None else traj.concat(piece)
        used, params = traj.iterations, p
        escape = escape_test(traj.steps, traj.param_norm, traj.residual)
        polished, ptraj, settled = _polish(game, params, tol)   # also rescues a slow approach that looked like an escape
        if polished is not None:
            if settled:
                return polished, traj.concat(ptraj), escape, "gradient flow, then Newton polish"
            fallback = fallback or (polished, traj.concat(ptraj))
        if escape.escaping and traj.residual[-1] > polish_at:
            return params, traj, escape, "parameters grow like log(t) while the residual shrinks"
        if traj.residual[-1] > polish_at:        # the flow stalled or ran out of budget
            state, btraj = alg.run(game, alg.best_response_iteration(game), params, 200, tol=polish_at)
            polished, ptraj, settled = _polish(game, state.params, tol)
            if polished is not None:
                if settled:
                    return (polished, traj.concat(btraj).concat(ptraj), escape,
                            "gradient flow (stalled), best-response iteration, then Newton polish")
                fallback = fallback or (polished, traj.concat(btraj).concat(ptraj))
            if used >= max_steps or not _stalled(traj):
                break
            params, traj = state.params, traj.concat(btraj)
            continue
        polish_at *= 1e-2                        # no settled point near the flow yet: follow it closer
        if polish_at < tol:
            break
    if fallback is not None:
        return (*fallback, escape, "the flow did not settle; Newton found an equilibrium near it with an "
                                   "eigenvalue of positive real part")
    return params, traj, escape, "step budget exhausted"


def _iteration(make, name: str):
    """A solver that runs one algorithm of ``dynamics.algorithms`` until tol or the budget."""
    def solver(game: Game, params: Params, opts: SolveOptions):
        state, traj = alg.run(game, make(game, opts), params, opts.max_steps, tol=opts.tol, progress=opts.progress)
        return state.params, traj, None, f"{name} iteration"
    return solver


SOLVERS.register("simultaneous", _iteration(lambda g, o: alg.simultaneous(g, 0.5 if o.lr is None else o.lr),
                                            "simultaneous"),
                 help="simultaneous gradient ascent, constant lr (default 0.5)", exact=True, flow=True)
SOLVERS.register("alternating", _iteration(lambda g, o: alg.alternating(g, 0.5 if o.lr is None else o.lr),
                                           "alternating"),
                 help="alternating gradient ascent (decoder, then encoder), constant lr (default 0.5)", exact=True,
                 flow=True)
SOLVERS.register("best-response", _iteration(lambda g, o: alg.best_response_iteration(g), "best-response"),
                 help="best-response iteration (Newton for each player)", exact=True, flow=False)
SOLVERS.register("newton", _iteration(lambda g, o: alg.newton(g, tol=o.tol), "newton"),
                 help="damped Newton on the pseudo-gradient (also lands on saddles)", exact=True, flow=False)


@SOLVERS.register("stochastic", help="the paper's stochastic algorithm: minibatches, lr 0.5/(1+t/1000) by default; "
                                     "the only method for games without an exact engine", exact=False, flow=True)
def stochastic(game: Game, params: Params, opts: SolveOptions):
    algo = alg.stochastic(game, lr=opts.lr, batch_size=opts.batch_size, seed=opts.seed,
                          exact_every=100 if game.exact else 0)
    state, traj = alg.run(game, algo, params, opts.max_steps, progress=opts.progress)
    return state.params, traj, None, f"{opts.max_steps} stochastic steps (batch {opts.batch_size})"
