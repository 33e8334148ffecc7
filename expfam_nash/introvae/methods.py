"""``init`` / ``step``: one iteration of a method, with the prior's stage changes of the reference.

* ``vae``: the beta-VAE for every step (prior N(0, I), or the VampPrior throughout for 'mog:K').
* ``sintro``: beta-VAE steps while step < warmup, then Soft-IntroVAE steps. With 'mog:K' the
  VampPrior becomes a free mixture at step warmup - vamp_lead (means and log-variances = the
  encoder at the pseudo-inputs, weights kept as probabilities; every optimiser restarts), and at
  step warmup the clipping bounds are recorded (when clipping is on).
* ``symmetric``: symmetric equilibrium learning, the mixture (if any) as third player.

``step(config, state, nets, x, rng)`` reads the data batch x and draws everything else from
``rng``; it updates ``state`` in place and returns ``(state, StepInfo)``. Same state, batch and
generator state: same bytes.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy.special import log_softmax

from .._jsonable import jsonable
from . import data as D
from . import networks as N
from . import priors as P
from .config import IntroConfig
from .sintro import sintro_step, vae_step
from .state import IntroState
from .state import init as init_state
from .symmetric import symmetric_step


@dataclass(frozen=True)
class StepInfo:
    """What one step measured (``values``: the losses and terms of its phase)."""

    step: int
    phase: str
    values: dict = field(default_factory=dict)

    def summary(self) -> str:
        return f"step {self.step} ({self.phase}): " + ", ".join(f"{k}={v:.4g}" for k, v in self.values.items())

    def to_dict(self) -> dict:
        return {"step": self.step, "phase": self.phase, **jsonable(self.values)}


def networks(config: IntroConfig) -> dict:
    return N.make_networks(2, config.latent_dim, config.hidden)


def init(config: IntroConfig, rng: np.random.Generator) -> tuple[IntroState, dict]:
    """(state, networks) of a fresh run; the caller passes the generator (e.g. seeded from config.seed)."""
    if not isinstance(rng, np.random.Generator):
        raise ValueError(f"rng: expected a numpy.random.Generator, got {type(rng).__name__}")
    return init_state(config, rng), networks(config)


def vamp_to_mog(config: IntroConfig, state: IntroState, nets: dict) -> None:
    """The VampPrior's components become free parameters (module docstring)."""
    p = state.params
    o, _ = N.forward(nets["encoder"], p["encoder"], p["prior.pseudo"])
    mu, lv = N.split_gaussian(o, config.latent_dim)
    dtype = p["encoder"].dtype
    del p["prior.pseudo"]
    p["prior.means"], p["prior.logvars"] = mu.astype(dtype), lv.astype(dtype)
    if "prior.logits" in p:     # log of the probabilities: softmax gives them back exactly
        p["prior.logits"] = log_softmax(p["prior.logits"].astype(np.float64)).astype(dtype)
    state.stage = "mog"
    state.reset_optimisers()


def phase_of(config: IntroConfig, step: int) -> str:
    if config.method == "sintro" and step < config.warmup:
        return "vae"
    return config.method


def _check_batch(x, config: IntroConfig) -> None:
    if not isinstance(x, np.ndarray) or x.ndim != 2 or x.shape[1] != 2 or x.shape[0] < 1:
        raise ValueError(f"x: expected an array of shape (n >= 1, 2), got {getattr(x, 'shape', x)!r}")
    if not np.all(np.isfinite(x)):
        raise ValueError("x: contains NaN or infinite values")


def step(config: IntroConfig, state: IntroState, nets: dict, x: np.ndarray, rng: np.random.Generator
         ) -> tuple[IntroState, StepInfo]:
    """One iteration (module docstring)."""
    _check_batch(x, config)
    if not isinstance(rng, np.random.Generator):
        raise ValueError(f"rng: expected a numpy.random.Generator, got {type(rng).__name__}")
    it = state.step
    if config.method == "sintro" and state.stage == "vamp" and it >= config.warmup - config.vamp_lead:
        vamp_to_mog(config, state, nets)
    if config.clip and state.clip_bounds is None and it >= config.warmup:
        state.clip_bounds = P.clip_bounds_of(state.params)
    phase = phase_of(config, it)
    x = np.ascontiguousarray(x, dtype=state.params["encoder"].dtype)
    fn = {"vae": vae_step, "sintro": sintro_step, "symmetric": symmetric_step}[phase]
    values = fn(config, state, nets, x, rng)
    state.step += 1
    return state, StepInfo(state.step, phase, values)


def data_batch(config: IntroConfig, rng: np.random.Generator) -> np.ndarray:
    """A fresh batch of the configured dataset (the runner's draw before each step)."""
    return D.sample(config.dataset, config.batch, rng)
