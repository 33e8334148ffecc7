"""The learner state of a run and its initialisation: parameters, each player's Adam moments and
step count, the prior's stage and the clipping bounds. Steps update the arrays in place and
return the state (the neural learner's convention).

Players and the parameters they own: ``encoder`` -> encoder; ``decoder`` -> decoder (and, for
symmetric learning with a learned decoder variance, ``decoder.logvar``); ``prior`` -> the
``prior.*`` arrays of the current stage (:mod:`.priors`).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..neural import kernels as NK
from . import data as D
from . import networks as N
from . import priors as P
from .config import IntroConfig

B1, B2, ADAM_EPS = 0.9, 0.999, 1e-8


@dataclass
class IntroState:
    """Parameters, Adam moments (``m``, ``v``), gradient buffers and the run's counters."""

    params: dict
    m: dict
    v: dict
    grads: dict = field(repr=False)
    step: int = 0
    stage: str = "normal"
    adam_t: dict = field(default_factory=lambda: {"encoder": 0, "decoder": 0, "prior": 0})
    clip_bounds: tuple | None = None
    scratch: dict = field(default_factory=dict, repr=False)

    def player_keys(self, player: str) -> list[str]:
        if player == "prior":
            return sorted(k for k in self.params if k.startswith("prior."))
        return sorted(k for k in self.params if k == player or k.startswith(player + "."))

    def meta(self) -> dict:
        """The counters as JSON values (for checkpoints; floats round-trip exactly)."""
        cb = None if self.clip_bounds is None else [np.asarray(b, np.float64).tolist() for b in self.clip_bounds]
        return {"stage": self.stage, "adam_t": dict(self.adam_t), "clip_bounds": cb}

    @classmethod
    def from_arrays(cls, params: dict, m: dict, v: dict, step: int, meta: dict) -> "IntroState":
        cb = meta.get("clip_bounds")
        state = cls(params, m, v, {k: np.zeros_like(a) for k, a in params.items()}, step, meta["stage"],
                    dict(meta["adam_t"]), None if cb is None else tuple(np.array(b) for b in cb))
        state.scratch = {k: np.zeros_like(params[k]) for k in ("encoder", "decoder")}
        return state

    def reset_optimisers(self) -> None:
        """Fresh Adam moments and step counts for every player (the reference restarts all its
        optimisers when the VampPrior becomes a mixture)."""
        self.m = {k: np.zeros_like(a) for k, a in self.params.items()}
        self.v = {k: np.zeros_like(a) for k, a in self.params.items()}
        self.grads = {k: np.zeros_like(a) for k, a in self.params.items()}
        self.adam_t = {p: 0 for p in self.adam_t}


def init(config: IntroConfig, rng: np.random.Generator) -> IntroState:
    """Networks with the reference's initialisation; the prior's parameters for its first stage:
    N(0, I); the VampPrior with pseudo-inputs = K data points and zero logits (VAE and
    S-IntroVAE with 'mog:K'); a random mixture (symmetric learning with 'mog:K')."""
    dtype = np.dtype(config.dtype).type
    nets = N.make_networks(2, config.latent_dim, config.hidden)
    params = {name: N.torch_default_init(nets[name], rng, dtype) for name in ("encoder", "decoder")}
    stage = "normal"
    if config.prior_kind == "mog":
        k = config.n_components
        if config.method == "symmetric":
            means, lvs = P.init_mog_random(k, config.latent_dim, rng)
            params["prior.means"], params["prior.logvars"] = means.astype(dtype), lvs.astype(dtype)
            stage = "mog"
        else:
            params["prior.pseudo"] = D.sample(config.dataset, k, rng).astype(dtype)
            stage = "vamp"
        if config.learnable_weights:
            params["prior.logits"] = np.zeros(k, dtype=dtype)
    if config.method == "symmetric" and config.decoder_variance == "learned":
        params["decoder.logvar"] = np.zeros(2, dtype=dtype)
    zeros = lambda: {k: np.zeros_like(a) for k, a in params.items()}   # noqa: E731
    state = IntroState(params, zeros(), zeros(), zeros(), 0, stage)
    state.scratch = {k: np.zeros_like(params[k]) for k in ("encoder", "decoder")}
    return state


def adam_descend(state: IntroState, player: str, lr: float) -> None:
    """One Adam step of ``player`` down its loss gradient in ``state.grads`` (the gradient
    buffers are negated in place: the kernel ascends)."""
    state.adam_t[player] += 1
    t = state.adam_t[player]
    for k in state.player_keys(player):
        g = state.grads[k]
        np.negative(g, out=g)
        NK.adam_ascent(state.params[k].reshape(-1), g.reshape(-1), state.m[k].reshape(-1), state.v[k].reshape(-1),
                       lr, B1, B2, ADAM_EPS, t, 0.0)
