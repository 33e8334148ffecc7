"""Equilibrium dynamics as pure ``init`` / ``step`` pairs (in the style of optax and blackjax).

``alg.init(params) -> state`` and ``alg.step(state, rng) -> (state, info)``; ``info`` describes
the iterate the step started from (residual, utilities, parameter norm). Steps are pure: a step
never mutates its state; randomness comes only from the ``rng`` passed in (deterministic
algorithms ignore it). ``run`` owns the random stream: it rebuilds the generator from the
state's snapshot (``State.rng_state``), passes it to every step and stores its final state in the
returned State, so a resumed run draws exactly the numbers an uninterrupted one would. ``run``
records a :class:`Trajectory`, evaluates the Nash gap at checkpoints, and returns what it has if
interrupted (Ctrl-C), so a run can be resumed from the returned state.

* ``simultaneous``:  v <- v + lr_t g(v)                          (g = pseudo-gradient)
* ``alternating``:   theta <- theta + lr_t g_theta(theta, phi);  phi <- phi + lr_t g_phi(theta_new, phi)
* ``best_response_iteration``: theta <- BR_p(phi); phi <- BR_q(theta_new)   (optionally damped)
* ``newton``:        v <- v - s J(v)^-1 g(v), s halved until |g| decreases (damped Newton; the step
  is capped at 10 (1 + |v|))
* ``stochastic``:    the paper's algorithm: the decoder learns on x ~ pi(x), z ~ q(z|x); the
  encoder on z ~ pi(z), x ~ p(x|z); minibatch gradients, nothing differentiated through a sampler.
"""
from __future__ import annotations

import sys
import time
from dataclasses import dataclass, replace
from typing import Callable, NamedTuple

import numpy as np

from ..core.validation import as_rng, check_int, check_memory, check_nonnegative, check_positive
from ..game import DomainError, Game, NonFiniteError, Params
from ..game.params import stable_norm
from ..game.sampled import estimate, sample_width
from .trajectory import Trajectory, from_records

Schedule = Callable[[int], float]


def constant(lr: float) -> Schedule:
    lr = check_positive(lr, "lr")
    return lambda t: lr


def inverse_time(lr: float, decay: float = 1000.0) -> Schedule:
    """lr / (1 + t / decay): Robbins-Monro for the stochastic algorithm."""
    lr, decay = check_positive(lr, "lr"), check_positive(decay, "decay")
    return lambda t: lr / (1.0 + t / decay)


def _schedule(lr) -> Schedule:
    return lr if callable(lr) else constant(lr)


@dataclass(frozen=True, eq=False)
class State:
    """An iterate, its step count and (random algorithms) a snapshot of the random stream."""

    params: Params
    step: int = 0
    rng_state: dict | None = None

    def generator(self) -> np.random.Generator | None:
        """A fresh generator positioned where the snapshot was taken (None without one)."""
        if self.rng_state is None:
            return None
        rng = np.random.Generator(getattr(np.random, self.rng_state["bit_generator"])())
        rng.bit_generator.state = self.rng_state
        return rng


def _snapshot(rng: np.random.Generator | None) -> dict | None:
    return None if rng is None else rng.bit_generator.state


class StepInfo(NamedTuple):
    residual: float
    utilities: tuple[float, float]
    norm: float
    exact_residual: float = float("nan")


class Algorithm(NamedTuple):
    name: str
    init: Callable[[Params], State]
    step: Callable[..., tuple[State, StepInfo]]     # step(state, rng=None) -> (state, info)


def _evaluate(game: Game, p: Params):
    u, g = game.evaluate(p)
    return u, g, float(np.linalg.norm(game.flatten(g)))


def simultaneous(game: Game, lr=0.5) -> Algorithm:
    sched = _schedule(lr)

    def step(state: State, rng=None):
        u, g, res = _evaluate(game, state.params)
        lr_t = sched(state.step)
        new = Params(state.params.theta + lr_t * g.theta, state.params.phi + lr_t * g.phi)
        return replace(state, params=new, step=state.step + 1), StepInfo(res, u, state.params.norm())

    return Algorithm("simultaneous", lambda p: State(p), step)


def alternating(game: Game, lr=0.5) -> Algorithm:
    sched = _schedule(lr)

    def step(state: State, rng=None):
        u, g, res = _evaluate(game, state.params)
        lr_t = sched(state.step)
        theta = state.params.theta + lr_t * g.theta
        g2 = game.gradient(Params(theta, state.params.phi))
        new = Params(theta, state.params.phi + lr_t * g2.phi)
        return replace(state, params=new, step=state.step + 1), StepInfo(res, u, state.params.norm())

    return Algorithm("alternating", lambda p: State(p), step)


def best_response_iteration(game: Game, damping: float = 1.0) -> Algorithm:
    if not 0 < damping <= 1:
        raise ValueError(f"damping: expected a number in (0, 1], got {damping}")

    def step(state: State, rng=None):
        p = state.params
        u, _, res = _evaluate(game, p)
        br = game.best_response(p, "decoder")
        theta = (1 - damping) * p.theta + damping * game.unflatten(
            np.concatenate([br.x, p.phi[game.encoder.mask]])).theta
        mid = Params(theta, p.phi)
        br = game.best_response(mid, "encoder")
        phi = (1 - damping) * p.phi + damping * game.unflatten(
            np.concatenate([theta[game.decoder.mask], br.x])).phi
        return replace(state, params=Params(theta, phi), step=state.step + 1), StepInfo(res, u, p.norm())

    return Algorithm("best-response", lambda p: State(p), step)


def _trial_residual(game: Game, vec: np.ndarray) -> float | None:
    """|g| at the flat point ``vec`` -- the number ``game.residual`` gives there, without building
    Params -- or None where ``game.residual`` raises (outside the natural domain, or g not finite)."""
    try:
        (lp, lq), g = game.flat_evaluate(vec)
    except ValueError:                       # DomainError, NonFiniteError
        return None
    return stable_norm(g) if np.isfinite(lp) and np.isfinite(lq) and np.all(np.isfinite(g)) else None


def newton(game: Game, min_step: float = 1.0 / 1024, tol: float = 0.0) -> Algorithm:
    """Damped Newton; at a point whose residual is already <= ``tol`` the step is the identity
    (no Jacobian is formed)."""
    min_step, tol = check_positive(min_step, "min_step"), check_nonnegative(tol, "tol")
    def step(state: State, rng=None):
        p = state.params
        u, g, res = _evaluate(game, p)
        if res <= tol:
            return replace(state, step=state.step + 1), StepInfo(res, u, p.norm())
        v, gv = game.flatten(p), game.flatten(g)
        jac = game.jacobian(p)
        try:
            d = np.linalg.solve(jac, -gv)
        except np.linalg.LinAlgError:
            d = np.linalg.lstsq(jac, -gv, rcond=None)[0]
        radius = 10.0 * (1.0 + float(np.linalg.norm(v)))      # trust radius: no jumps to absurd points
        with np.errstate(over="ignore", invalid="ignore"):     # a near-singular J can give huge d
            step_norm = float(np.linalg.norm(d))
        if not np.isfinite(step_norm):
            d, step_norm = np.zeros_like(d), 0.0
        if step_norm > radius:
            d *= radius / step_norm
        s = 1.0
        while s >= min_step:
            trial = _trial_residual(game, v + s * d)
            if trial is not None and trial < res:
                break
            s *= 0.5
        else:
            s = min_step
            if _trial_residual(game, v + min_step * d) is None:
                return replace(state, step=state.step + 1), StepInfo(res, u, p.norm())
        return replace(state, params=game.unflatten(v + s * d), step=state.step + 1), StepInfo(res, u, p.norm())

    return Algorithm("newton", lambda p: State(p), step)


def stochastic(game: Game, lr=None, batch_size: int = 256, seed: int | None = 0,
               rng: np.random.Generator | None = None, exact_every: int = 0) -> Algorithm:
    """The symmetric learning algorithm with minibatches of ``batch_size`` draws per player (the
    minibatch estimate of ``game.sampled.estimate``). ``info.residual`` is the norm of the
    minibatch estimate; every ``exact_every`` steps (if the game has an exact engine)
    ``info.exact_residual`` holds the exact one. ``seed``/``rng`` seed the stream that ``init``
    snapshots into the state; ``step(state, rng)`` draws from the generator it is given."""
    sched = _schedule(inverse_time(0.5, 1000.0) if lr is None else lr)
    check_int(batch_size, "batch_size", minimum=1)
    check_memory(batch_size * sample_width(game), "batch_size", f"minibatches of {batch_size} draws")
    start = _snapshot(np.random.default_rng(as_rng(seed, rng).integers(2 ** 63)))   # every init starts here

    def step(state: State, rng: np.random.Generator | None = None):
        if not isinstance(rng, np.random.Generator):
            raise ValueError("rng: the stochastic step draws its minibatch from a numpy.random.Generator "
                             "(run passes the state's stream; see State.generator)")
        p = state.params
        est = estimate(game, p, batch_size, rng)
        gp, gq = est.gradient.theta, est.gradient.phi
        res = float(np.sqrt(np.sum(gp ** 2) + np.sum(gq ** 2)))
        exact = float("nan")
        if exact_every and game.exact and state.step % exact_every == 0:
            exact = game.residual(p)
        lr_t = sched(state.step)
        new = Params(p.theta + lr_t * gp, p.phi + lr_t * gq)
        if not (np.all(np.isfinite(new.theta)) and np.all(np.isfinite(new.phi))):
            raise NonFiniteError(f"the stochastic step overflowed float64 (lr {lr_t:.3g} is unstable here): reduce lr")
        if game.engine is not None and not game.engine.in_domain(new.theta, new.phi):
            raise DomainError(f"the stochastic step left the natural domain (a learned variance block became >= 0; "
                              f"lr {lr_t:.3g} is too large): reduce lr")
        return replace(state, params=new, step=state.step + 1), StepInfo(res, est.utilities, p.norm(), exact)

    def init(p: Params) -> State:
        return State(p, 0, start)

    return Algorithm("stochastic", init, step)


def run(game: Game, algorithm: Algorithm, params: Params | State, n_steps: int, tol: float = 0.0,
        gap_every: int = 0, record_every: int = 1, progress: bool = False,
        callback: Callable[[State, StepInfo], None] | None = None) -> tuple[State, Trajectory]:
    """Iterate ``algorithm`` for up to ``n_steps`` (stopping early when the residual <= tol).

    ``params`` may be a State returned by an earlier run: the run then resumes where it stopped
    (step counter, schedule and random stream included). Ctrl-C ends the run cleanly: the
    returned trajectory is marked ``interrupted`` and the state can be passed back in. A step
    that overflows float64 or leaves the natural domain (an unstable step size) ends the run at
    the last iterate that could be evaluated, with the reason in ``Trajectory.failure``.
    """
    check_int(n_steps, "n_steps", minimum=0)
    check_int(record_every, "record_every")
    check_int(gap_every, "gap_every", minimum=0)
    check_nonnegative(tol, "tol")
    state = params if isinstance(params, State) else algorithm.init(params)
    rng = state.generator()
    records, gaps, stop = [], [], {"interrupted": False, "failure": ""}
    with np.errstate(all="ignore"):
        state = _loop(game, algorithm, state, rng, n_steps, tol, gap_every, record_every, progress, callback,
                      records, gaps, stop)
        if game.exact and not stop["interrupted"] and not stop["failure"]:
            state = _final_record(game, state, gap_every, records, gaps, stop)
    if rng is not None:
        state = replace(state, rng_state=_snapshot(rng))
    return state, from_records(algorithm.name, records, gaps, stop["interrupted"], stop["failure"])


def _final_record(game, state, gap_every, records, gaps, stop) -> State:
    """Record the end point of a run that was neither interrupted nor stopped by a failure."""
    offset = stop["offset"]
    try:
        u, _, res = _evaluate(game, state.params)
    except (DomainError, NonFiniteError) as exc:      # the last step produced a point that overflows
        stop["failure"] = f"step {state.step}: {exc}"
        return stop.get("last_good", state)
    if not records or records[-1][0] != state.step - offset:
        records.append((state.step - offset, res, *u, state.params.norm()))
    if gap_every and (not gaps or gaps[-1][0] != state.step - offset):
        gaps.append((state.step - offset, game.nash_gap(state.params)))
    return state


def _loop(game, algorithm, state, rng, n_steps, tol, gap_every, record_every, progress, callback,
          records, gaps, stop) -> State:
    """The body of :func:`run`: steps, records, gaps, progress; returns the final state (the last
    one that could be evaluated, when a step fails)."""
    start = stop["offset"] = state.step
    last_print = time.monotonic()
    try:
        for i in range(n_steps):
            at_gap = gap_every and game.exact and (state.step - start) % gap_every == 0
            try:
                new_state, info = algorithm.step(state, rng)
                gap = game.nash_gap(state.params) if at_gap else None
            except (DomainError, NonFiniteError) as exc:
                stop["failure"] = f"step {state.step}: {exc}"
                return stop.get("last_good", state)
            stop["last_good"] = state
            res = info.exact_residual if np.isfinite(info.exact_residual) else info.residual
            if (state.step - start) % record_every == 0:
                records.append((state.step - start, res, *info.utilities, info.norm))
            if gap is not None:
                gaps.append((state.step - start, gap))
            if callback is not None:
                callback(state, info)
            if tol and info.residual <= tol:
                break
            state = new_state
            if progress and time.monotonic() - last_print > 1.0:
                last_print = time.monotonic()
                print(f"\r{algorithm.name}: step {i + 1}/{n_steps} residual {info.residual:.3e}", end="",
                      file=sys.stderr, flush=True)
    except KeyboardInterrupt:
        stop["interrupted"] = True
    finally:
        if progress:
            print(file=sys.stderr)
    return state
