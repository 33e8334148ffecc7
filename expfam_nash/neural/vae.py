"""VAEs with one latent layer: decoder p(x|z) and encoder q(z|x) are MLPs with
exponential-family heads, the prior pi(z) is uniform bits, N(0, I), a class label times either,
or an implicit sampler.

Every model exposes the same small interface (the contract of :mod:`.protocol`), used by
:mod:`.learning` and :mod:`.evaluation`:

* ``nets``: name -> :class:`MLP`; ``players``: "decoder"/"encoder" -> names of the nets it owns;
* ``encode(params, x, rng, labels=None)``: latents z ~ q(z|x) (label part fixed where given);
* ``generate(params, n, rng)``: (z, x) with z ~ pi, x ~ p(x|z);
* ``decoder_grad(params, x, z, weights, grads)``: log p(x, z) - log pi(z) per row, and
  grads <- d/dtheta sum_i weights_i log p(x_i, z_i) for the decoder's nets;
* ``encoder_grad(params, x, z, weights, grads, label_rows=None)``: the same for log q(z|x);
  rows flagged in ``label_rows`` count only the label part (the rest of z is unobserved);
* ``log_joint(params, x, z)`` and ``log_q(params, x, z)`` (for likelihood estimates);
* ``enumerate_latents()`` when the latent space is finite and small.
"""
from __future__ import annotations

import math

import numpy as np

from ..core.validation import as_rng, check_int, check_sizes
from . import heads as H
from . import priors as P
from .mlp import MLP, MLPSpec


def latent_head(prior):
    """The encoder head matching a prior's support."""
    if isinstance(prior, P.Product):
        return H.Product(tuple(latent_head(p) for p in prior.parts))
    if prior.support == "binary":
        return H.Bernoulli(prior.dim)
    if prior.support == "categorical":
        return H.Categorical(prior.dim)
    return H.GaussianLogVariance(prior.dim)


def data_head(kind: str, dim: int, variance: float = 1.0):
    if kind == "bernoulli":
        return H.Bernoulli(dim)
    if kind == "gaussian":
        return H.GaussianFixed(dim, variance)
    if kind == "gaussian-learned":
        return H.GaussianLogVariance(dim)
    raise ValueError(f"data head: expected 'bernoulli', 'gaussian' or 'gaussian-learned', got {kind!r}")


def _dtype(params) -> np.dtype:
    return next(iter(params.values())).dtype


def _cast(a, params) -> np.ndarray:
    """a as a C-contiguous array of the parameters' dtype (float32 or float64)."""
    return np.ascontiguousarray(a, dtype=_dtype(params))


class NetworkModel:
    """Shared plumbing of the network models: parameter init, dtype handling, gradient buffers."""

    nets: dict[str, MLP]
    players: dict[str, tuple[str, ...]]

    def init(self, seed=None, dtype=np.float32) -> dict[str, np.ndarray]:
        """Fresh parameters, one flat vector per network (initialised in sorted name order)."""
        rng = as_rng(seed)
        return {name: self.nets[name].init(rng, dtype) for name in sorted(self.nets)}

    def zeros_like(self, params) -> dict[str, np.ndarray]:
        return {k: np.zeros_like(v) for k, v in params.items()}

    @property
    def has_prior_density(self) -> bool:
        return self.prior.has_density


class VAE(NetworkModel):
    """One latent layer: pi(z) p(x|z) and q(z|x)."""

    def __init__(self, data_dim: int, prior, *, hidden=(64,), activation: str = "tanh",
                 data_kind: str = "bernoulli", data_variance: float = 1.0):
        check_int(data_dim, "data_dim")
        self.prior = prior
        self.data_dim = data_dim
        self.p_head = data_head(data_kind, data_dim, data_variance)
        self.q_head = latent_head(prior)
        hidden = check_sizes(hidden, "hidden")
        self.spec = dict(data_dim=data_dim, hidden=list(hidden), activation=activation, data_kind=data_kind,
                         data_variance=data_variance)
        self.nets = {"decoder": MLP(MLPSpec((prior.dim, *hidden, self.p_head.n_out), activation)),
                     "encoder": MLP(MLPSpec((data_dim, *hidden, self.q_head.n_out), activation))}
        self.players = {"decoder": ("decoder",), "encoder": ("encoder",)}

    @property
    def latent_dim(self) -> int:
        return self.prior.dim

    @property
    def n_classes(self) -> int:
        first = self.prior.parts[0] if isinstance(self.prior, P.Product) else self.prior
        return first.dim if isinstance(first, P.UniformClasses) else 0

    # -- sampling ----------------------------------------------------------------------------
    def encoder_out(self, params, x) -> np.ndarray:
        return self.nets["encoder"].forward(params["encoder"], _cast(x, params))[0]

    def decoder_out(self, params, z) -> np.ndarray:
        return self.nets["decoder"].forward(params["decoder"], _cast(z, params))[0]

    def encode(self, params, x, rng, labels=None) -> np.ndarray:
        z = self.q_head.sample(self.encoder_out(params, x), rng)
        if labels is not None:
            z[:, : labels.shape[1]] = labels
        return z

    def generate(self, params, n: int, rng) -> tuple[np.ndarray, np.ndarray]:
        z = self.prior.sample(n, rng, _dtype(params))
        return z, self.p_head.sample(self.decoder_out(params, z), rng)

    # -- per-player log-densities and gradients ------------------------------------------------
    def decoder_grad(self, params, x, z, weights, grads):
        net = self.nets["decoder"]
        o, cache = net.forward(params["decoder"], _cast(z, params))
        g = np.empty_like(o)
        ll = self.p_head.log_prob(o, _cast(x, params), g)
        g *= weights[:, None].astype(g.dtype)
        net.backward(params["decoder"], cache, g, grads["decoder"])
        return ll

    def encoder_grad(self, params, x, z, weights, grads, label_rows=None):
        net = self.nets["encoder"]
        o, cache = net.forward(params["encoder"], _cast(x, params))
        g = np.empty_like(o)
        ll = self.q_head.log_prob(o, _cast(z, params), g)
        g *= weights[:, None].astype(g.dtype)
        if label_rows is not None and label_rows.any():
            g[np.ix_(label_rows, np.arange(self.n_classes, o.shape[1]))] = 0.0
        net.backward(params["encoder"], cache, g, grads["encoder"])
        return ll

    # -- densities ---------------------------------------------------------------------------
    def log_likelihood(self, params, x, z) -> np.ndarray:
        """log p(x|z) per row."""
        o = self.decoder_out(params, z)
        return self.p_head.log_prob(o, _cast(x, params), np.empty_like(o))

    def log_prior(self, z) -> np.ndarray:
        return self.prior.log_prob(z)

    def log_joint(self, params, x, z) -> np.ndarray:
        return self.log_likelihood(params, x, z) + self.prior.log_prob(z)

    def log_q(self, params, x, z) -> np.ndarray:
        o = self.encoder_out(params, x)
        return self.q_head.log_prob(o, _cast(z, params), np.empty_like(o))

    def enumerate_latents(self) -> np.ndarray:
        if math.isinf(self.prior.configurations):
            raise ValueError("prior: the latent space is not finite")
        return self.prior.enumerate()

    def reconstruct(self, params, x, rng) -> np.ndarray:
        """Mean of p(x|z) at z ~ q(z|x)."""
        return self.p_head.mean(self.decoder_out(params, self.encode(params, x, rng)))

    def chain_step(self, params, x, rng) -> np.ndarray:
        """One step x -> z ~ q(z|x) -> x' ~ p(x'|z) of the reconstruction chain."""
        return self.p_head.sample(self.decoder_out(params, self.encode(params, x, rng)), rng)
