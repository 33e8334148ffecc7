"""The solve methods: the ``SOLVERS`` registry behind ``solve(method=...)``, the CLI's ``--method``
choices, the docs' table and the solver conformance tests.

A solver is ``solver(game, params, options) -> (params, trajectory, escape test or None, reason)``,
optionally with a fifth element, the :class:`~expfam_nash.certify.EquilibriumCertificate` of the
returned point if the solver made one (:class:`SolverOutput`); ``solve`` certifies what it
returns. ``meta["uses"]``: the options beyond seed/tol/max_steps the method reads (``solve``
refuses the others instead of ignoring them). ``meta["exact"]``: the method needs an exact
engine; ``meta["flow"]``: the method
follows the game's dynamics (so growth of its parameters is evidence of an escape; Newton or
best-response iterations that wander off have merely failed).

Default method ``"auto"`` (exact games): the gradient flow, integrated by simultaneous gradient
ascent with an adaptive step, then damped Newton on the pseudo-gradient to polish. The flow makes
the end point generic (saddles and unstable equilibria repel it); Newton is accepted only if it
converges close to where the flow was heading, and a polished point certified as a saddle is only
a fallback while the flow goes on. The reason string says why the solver stopped; it is not a
verdict (``solve``'s certificates are).
"""
from __future__ import annotations

import sys
from dataclasses import asdict, dataclass
from typing import NamedTuple

import numpy as np

from ..certify import certify_equilibrium
from ..core.parsing import at_least, optional, positive, text
from ..core.registry import Arg, Registry
from ..game import Game, Params
from . import algorithms as alg
from .continuation import newton_polish
from .escape import escape_test
from .flow import gradient_flow, saturated
from .trajectory import Trajectory, from_records

SOLVERS: Registry = Registry("solver")


#: the options of ``solve`` (also the CLI's flags and the sweep layer's grid keys)
SOLVE_ARGS = (Arg("method", text, "auto", "solve method"),
              Arg("seed", at_least(0), 0, "seed of the random start (and of the stochastic stream)"),
              Arg("tol", positive, 1e-10, "residual tolerance"),
              Arg("max_steps", at_least(1), 20000, "step budget"),
              Arg("lr", optional(positive), None, "step size (default: adaptive for auto, 0.5 for the plain "
                                               "iterations, 0.5/(1+t/1000) for stochastic)"),
              Arg("batch_size", at_least(1), 256, "minibatch size of the stochastic method"))


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
    certify: bool = True
    stop_escaping: bool = False
    gap_if_undecided: bool = True

    def to_dict(self) -> dict:
        out = asdict(self)
        del out["progress"]
        if not self.stop_escaping:          # recorded only when it was asked for
            del out["stop_escaping"]
        if self.gap_if_undecided:           # likewise its opposite, the lean mode
            del out["gap_if_undecided"]
        return out

    def summary(self) -> str:
        return ", ".join(f"{k}={v}" for k, v in self.to_dict().items())


class SolverOutput(NamedTuple):
    """What a solver returns (a plain 4-tuple is accepted too: no certificate)."""

    params: Params
    trajectory: Trajectory
    escape: object
    reason: str
    certificate: object = None

    @classmethod
    def of(cls, out) -> "SolverOutput":
        return out if isinstance(out, cls) else cls(*out)


def _stalled(traj: Trajectory) -> bool:
    """After >= 2000 steps, the residual fell by less than half over the last half of the run."""
    t = traj.iterations
    if t < 2000:
        return False
    half = np.searchsorted(traj.steps, t // 2)
    return bool(traj.residual[-1] > 0.5 * traj.residual[half])


def _polish(game: Game, start: Params, opts: SolveOptions):
    """(point, trajectory, certificate, settled) of a Newton polish (balanced, unit-free merit) that
    converges close to ``start`` (every coordinate moves by at most its own unit,
    ``certify.newton.units``) on a non-saturated point; point is None otherwise. ``settled``: the point is not certified unstable (with
    certify=False: the floating-point spectrum has no eigenvalue with Re > 1e-7 max |lambda| -- a
    choice of the solver, not a verdict)."""
    polished, converged, records, unit = newton_polish(game, start, tol=opts.tol)
    ptraj = from_records("newton", records, [])
    if not converged or saturated(game, polished):
        return None, ptraj, None, False
    if np.max(np.abs(game.flatten(polished) - game.flatten(start)) / unit) > 1.0:
        return None, ptraj, None, False
    if opts.certify:
        cert = certify_equilibrium(game, polished)
        return polished, ptraj, cert, cert.stability.status.value != "refuted"
    eig = game.spectrum(polished)
    return polished, ptraj, None, bool(eig.real.max() <= 1e-7 * float(np.abs(eig).max()))


def _flow_progress(max_steps: int, enabled: bool, stop_escaping: bool = False):
    """(callback, state): the flow's per-chunk callback shows progress on stderr and stops the flow
    when its piece stalled without escaping, or (``stop_escaping``) when the run shows the escape
    evidence of ``escape_test`` after at least a tenth of the budget; ``state["stalled"]`` and
    ``state["escaping"]`` record which, and ``gradient_flow`` writes ``state["stop"]``, why the
    piece stopped."""
    state = {"stalled": False, "escaping": False}

    def on_chunk(p, tr):
        if enabled:
            print(f"\rflow: step {tr.iterations}/{max_steps} residual {tr.residual[-1]:.3e} "
                  f"|params| {tr.param_norm[-1]:.4g}", end="", file=sys.stderr, flush=True)
        escaping = escape_test(tr.steps, tr.param_norm, tr.residual).escaping
        state["stalled"] = _stalled(tr) and not escaping
        state["escaping"] = stop_escaping and escaping and tr.iterations >= max_steps // 10
        return state["stalled"] or state["escaping"]
    return on_chunk, state


def _landed(reason: str, cert) -> str:
    """The reason of a settled polish, saying whether the point was certified."""
    if cert is None:
        return reason + " (uncertified)"
    if cert.existence.holds:
        return reason
    return reason + " to residual <= tol (no equilibrium certified there)"


def _stop_reason(traj: Trajectory, max_steps: int, stop: str) -> str:
    """Why the auto solver ended without a settled point (true to the letter); ``stop``: why the
    last piece of the flow stopped (``gradient_flow``'s ``state["stop"]``)."""
    used = traj.iterations
    if used >= max_steps:
        return f"step budget exhausted ({used} of {max_steps} steps)"
    if stop == "tol":
        return (f"the flow reached residual {traj.residual[-1]:.3g} after {used} of {max_steps} steps, but no "
                "Newton polish converged close to it")
    why = {"callback": "it stalled: its residual fell by less than half over the last half of a piece",
           "collapsed": "its step size collapsed: the residual kept growing",
           "short chunk": "the compiled flow stopped inside a chunk"}.get(stop, stop)
    return (f"the flow stopped after {used} of {max_steps} steps ({why}) and neither best-response iteration nor "
            "the Newton polish settled")


@SOLVERS.register("auto", help="gradient flow (adaptive step), then Newton polish; best-response iteration "
                               "when the flow stalls", exact=True, flow=True, uses=("lr",))
def auto(game: Game, params: Params, opts: SolveOptions):
    """Flow, then Newton polish; if the flow stalls (stiff directions, e.g. learned variances),
    best-response iteration, then Newton polish. A polished point certified as a saddle (an
    eigenvalue with positive real part) is kept only as a fallback while the flow goes on: the
    default method aims for a stable equilibrium."""
    max_steps, lr = opts.max_steps, opts.lr
    polish_at = 1e-4 * max(1.0, game.residual(params))
    traj, escape, fallback = None, None, None
    on_chunk, flow_state = _flow_progress(max_steps, opts.progress, opts.stop_escaping)
    while traj is None or traj.iterations < max_steps:
        flow_state["stalled"] = False
        p, piece, lr = gradient_flow(game, params, max_steps - (traj.iterations if traj else 0), polish_at, lr,
                                     on_chunk=on_chunk, state=flow_state)
        if opts.progress:
            print(file=sys.stderr)
        if not piece.steps.size:            # not one finite step, down to 1e-12 of the first step size
            return SolverOutput(params, piece if traj is None else traj, escape,
                                "the gradient flow could not take a finite step (every step size overflowed)")
        traj = piece if traj is None else traj.concat(piece)
        params = p
        escape = escape_test(traj.steps, traj.param_norm, traj.residual)
        polished, ptraj, cert, settled = _polish(game, params, opts)   # also rescues a slow approach
        if polished is not None:
            if settled:
                return SolverOutput(polished, traj.concat(ptraj), escape,
                                    _landed("gradient flow, then Newton polish", cert), cert)
            fallback = fallback or SolverOutput(polished, traj.concat(ptraj), escape, "", cert)
        if escape.escaping and traj.residual[-1] > polish_at:
            early = f" (stopped at step {traj.iterations} of {max_steps}: stop_escaping)" if flow_state["escaping"] else ""
            return SolverOutput(params, traj, escape, "the flow's parameters grow like log(t) while the residual "
                                                      f"shrinks (evidence of an escape, not a certificate){early}")
        if traj.residual[-1] > polish_at:        # the flow stalled or ran out of budget
            state, btraj = alg.run(game, alg.best_response_iteration(game), params, 200, tol=polish_at)
            polished, ptraj, cert, settled = _polish(game, state.params, opts)
            if polished is not None:
                out = SolverOutput(polished, traj.concat(btraj).concat(ptraj), escape, _landed(
                    "gradient flow (stalled), best-response iteration, then Newton polish", cert), cert)
                if settled:
                    return out
                fallback = fallback or out
            if traj.iterations >= max_steps or not flow_state["stalled"]:
                break
            params, traj = state.params, traj.concat(btraj)
            continue
        polish_at *= 1e-2                        # no settled point near the flow yet: follow it closer
        if polish_at < opts.tol:
            break
    if fallback is not None:
        return fallback._replace(escape=escape, reason="the flow did not settle; Newton found an equilibrium near "
                                                       "it that is certified unstable (or, uncertified, has an "
                                                       "eigenvalue with positive real part)")
    return SolverOutput(params, traj, escape, _stop_reason(traj, max_steps, flow_state.get("stop", "budget")))


def _iteration(make, name: str):
    """A solver that runs one algorithm of ``dynamics.algorithms`` until tol or the budget; a step
    that overflows or leaves the domain ends it, reported as an unstable iteration."""
    def solver(game: Game, params: Params, opts: SolveOptions):
        state, traj = alg.run(game, make(game, opts), params, opts.max_steps, tol=opts.tol, progress=opts.progress)
        if traj.interrupted:
            why = f"interrupted after {traj.iterations} steps"
        elif traj.failure:
            why = _unstable(traj, opts)
        elif traj.residual.size and traj.residual[-1] <= opts.tol:
            why = f"residual <= tol after {traj.iterations} steps"
        else:
            why = f"step budget exhausted ({traj.iterations} of {opts.max_steps} steps)"
        return SolverOutput(state.params, traj, None, f"{name} iteration: {why}")
    return solver


def _unstable(traj: Trajectory, opts: SolveOptions) -> str:
    """Why a run stopped at a failing step: an unstable iteration (not a verdict on the game)."""
    lr = "" if opts.lr is None else f" with lr {opts.lr:g}"
    return (f"the iteration is unstable{lr}: it stopped at {traj.failure}; the result is the last iterate that "
            "could be evaluated")


SOLVERS.register("simultaneous", _iteration(lambda g, o: alg.simultaneous(g, 0.5 if o.lr is None else o.lr),
                                            "simultaneous"),
                 help="simultaneous gradient ascent, constant lr (default 0.5)", exact=True, flow=True, uses=("lr",))
SOLVERS.register("alternating", _iteration(lambda g, o: alg.alternating(g, 0.5 if o.lr is None else o.lr),
                                           "alternating"),
                 help="alternating gradient ascent (decoder, then encoder), constant lr (default 0.5)", exact=True,
                 flow=True, uses=("lr",))
SOLVERS.register("best-response", _iteration(lambda g, o: alg.best_response_iteration(g), "best-response"),
                 help="best-response iteration (Newton for each player)", exact=True, flow=False)
SOLVERS.register("newton", _iteration(lambda g, o: alg.newton(g, tol=o.tol), "newton"),
                 help="damped Newton on the pseudo-gradient (also lands on saddles)", exact=True, flow=False)


@SOLVERS.register("stochastic", help="the paper's stochastic algorithm: minibatches, lr 0.5/(1+t/1000) by default; "
                                     "the only method for games without an exact engine", exact=False, flow=True,
                  uses=("lr", "batch_size"))
def stochastic(game: Game, params: Params, opts: SolveOptions):
    algo = alg.stochastic(game, lr=opts.lr, batch_size=opts.batch_size, seed=opts.seed,
                          exact_every=100 if game.exact else 0)
    state, traj = alg.run(game, algo, params, opts.max_steps, progress=opts.progress)
    return SolverOutput(state.params, traj, None, f"{traj.iterations} stochastic steps (batch {opts.batch_size})"
                        + (f"; {_unstable(traj, opts)}" if traj.failure else ""))
