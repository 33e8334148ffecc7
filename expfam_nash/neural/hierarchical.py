"""Two binary latent layers z0 -> z1 -> x (the paper's hierarchical experiment).

Decoder (one player): pi(z0) uniform on {0,1}^k0 (fixed), learned p(z1|z0) and p(x|z1).
Encoder (the other player), in one of two orders:

* ``"ladder"``: one net e(x) = (a0(x), a1(x)); q(z0|x) = Bern(a0(x)) and
  q(z1|z0, x) = Bern(l1(z0) + a1(x)), where l1 are the decoder's p(z1|z0) logits: the encoder
  uses them but never updates them (they belong to the decoder).
* ``"reverse"``: q(z1|x), then q(z0|z1), two nets of the encoder.

Latents are one array [z0 | z1]. Same interface as :class:`~expfam_nash.neural.vae.VAE`.
"""
from __future__ import annotations

import numpy as np
from scipy.special import logsumexp

from ..core.validation import check_int, check_sizes
from ..families.bernoulli import binary_support
from . import heads as H
from . import priors as P
from .mlp import MLP, MLPSpec
from .vae import NetworkModel, _cast, _dtype, data_head

MAX_LATENT_BITS = 16
ORDERS = ("ladder", "reverse")


def _bernoulli_table(logits: np.ndarray, configs: np.ndarray) -> np.ndarray:
    """log Bern(c | logits_r) for every row r and config c: (rows, configs)."""
    L = logits.astype(np.float64)
    return L @ configs.T - np.logaddexp(0, L).sum(1, keepdims=True)


class HierarchicalVAE(NetworkModel):
    """pi(z0) p(z1|z0) p(x|z1) with a ladder or reverse encoder (module docstring)."""

    def __init__(self, data_dim: int, k0: int, k1: int, *, hidden=(64,), activation: str = "tanh",
                 encoder: str = "ladder", data_kind: str = "bernoulli", data_variance: float = 1.0):
        check_int(data_dim, "data_dim")
        check_int(k0, "k0")
        check_int(k1, "k1")
        if encoder not in ORDERS:
            raise ValueError(f"encoder: expected one of {ORDERS}, got {encoder!r}")
        hidden = check_sizes(hidden, "hidden")
        self.data_dim, self.k0, self.k1, self.order = data_dim, k0, k1, encoder
        self.prior = P.UniformBits(k0)
        self.p_head = data_head(data_kind, data_dim, data_variance)
        self.spec = dict(data_dim=data_dim, k0=k0, k1=k1, hidden=list(hidden), activation=activation,
                         encoder=encoder, data_kind=data_kind, data_variance=data_variance)
        spec = lambda *s: MLP(MLPSpec(s, activation))  # noqa: E731
        self.nets = {"p_z1": spec(k0, *hidden, k1), "p_x": spec(k1, *hidden, self.p_head.n_out)}
        if encoder == "ladder":
            self.nets["q_ladder"] = spec(data_dim, *hidden, k0 + k1)
            enc = ("q_ladder",)
        else:
            self.nets["q_z1"] = spec(data_dim, *hidden, k1)
            self.nets["q_z0"] = spec(k1, *hidden, k0)
            enc = ("q_z0", "q_z1")
        self.players = {"decoder": ("p_x", "p_z1"), "encoder": enc}
        self._bern0, self._bern1 = H.Bernoulli(k0), H.Bernoulli(k1)

    @property
    def latent_dim(self) -> int:
        return self.k0 + self.k1

    n_classes = 0

    def _split(self, z):
        return np.ascontiguousarray(z[:, : self.k0]), np.ascontiguousarray(z[:, self.k0:])

    def _out(self, name, params, inputs):
        return self.nets[name].forward(params[name], _cast(inputs, params))[0]

    # -- sampling ----------------------------------------------------------------------------
    def _encoder_logits(self, params, x, z0=None, z1=None, rng=None):
        """(logits of z0, logits of z1) of q, sampling the first layer when it is not given."""
        if self.order == "ladder":
            o = self._out("q_ladder", params, x)
            l0 = np.ascontiguousarray(o[:, : self.k0])
            if z0 is None:
                z0 = self._bern0.sample(l0, rng)
            l1 = self._out("p_z1", params, z0) + o[:, self.k0:]
            return l0, l1, z0, z1
        l1 = self._out("q_z1", params, x)
        if z1 is None:
            z1 = self._bern1.sample(l1, rng)
        return self._out("q_z0", params, z1), l1, z0, z1

    def encode(self, params, x, rng, labels=None) -> np.ndarray:
        if labels is not None:
            raise ValueError("labels: the hierarchical model has no label part")
        l0, l1, z0, z1 = self._encoder_logits(params, x, rng=rng)
        if z0 is None:
            z0 = self._bern0.sample(l0, rng)
        if z1 is None:
            z1 = self._bern1.sample(l1, rng)
        return np.concatenate([z0, z1], axis=1)

    def generate(self, params, n: int, rng):
        z0 = self.prior.sample(n, rng, _dtype(params))
        z1 = self._bern1.sample(self._out("p_z1", params, z0), rng)
        return np.concatenate([z0, z1], axis=1), self.p_head.sample(self._out("p_x", params, z1), rng)

    # -- per-player gradients ------------------------------------------------------------------
    def _fit(self, name, params, inputs, head, target, weights, grads):
        net = self.nets[name]
        o, cache = net.forward(params[name], _cast(inputs, params))
        g = np.empty_like(o)
        ll = head.log_prob(o, _cast(target, params), g)
        g *= weights[:, None].astype(g.dtype)
        net.backward(params[name], cache, g, grads[name])
        return ll

    def decoder_grad(self, params, x, z, weights, grads):
        z0, z1 = self._split(z)
        return (self._fit("p_z1", params, z0, self._bern1, z1, weights, grads)
                + self._fit("p_x", params, z1, self.p_head, x, weights, grads))

    def encoder_grad(self, params, x, z, weights, grads, label_rows=None):
        z0, z1 = self._split(z)
        if self.order == "reverse":
            return (self._fit("q_z1", params, x, self._bern1, z1, weights, grads)
                    + self._fit("q_z0", params, z1, self._bern0, z0, weights, grads))
        net = self.nets["q_ladder"]
        o, cache = net.forward(params["q_ladder"], _cast(x, params))
        o = o.copy()
        o[:, self.k0:] += self._out("p_z1", params, z0)  # the decoder's logits: used, not updated
        g = np.empty_like(o)
        ll = self._bern0.log_prob(np.ascontiguousarray(o[:, : self.k0]), z0, g[:, : self.k0]) \
            + self._bern1.log_prob(np.ascontiguousarray(o[:, self.k0:]), z1, g[:, self.k0:])
        g *= weights[:, None].astype(g.dtype)
        net.backward(params["q_ladder"], cache, g, grads["q_ladder"])
        return ll

    # -- densities ---------------------------------------------------------------------------
    def log_prior(self, z) -> np.ndarray:
        return self.prior.log_prob(z)

    def log_likelihood(self, params, x, z) -> np.ndarray:
        """log p(x|z1)."""
        o = self._out("p_x", params, self._split(z)[1])
        return self.p_head.log_prob(o, _cast(x, params), np.empty_like(o))

    def log_joint(self, params, x, z) -> np.ndarray:
        z0, z1 = self._split(z)
        l1 = self._out("p_z1", params, z0)
        return (self.prior.log_prob(z0) + self._bern1.log_prob(l1, _cast(z1, params), np.empty_like(l1))
                + self.log_likelihood(params, x, z))

    def log_q(self, params, x, z) -> np.ndarray:
        z0, z1 = self._split(z)
        l0, l1, _, _ = self._encoder_logits(params, x, z0=_cast(z0, params), z1=_cast(z1, params))
        l0, l1 = np.ascontiguousarray(l0), np.ascontiguousarray(l1)
        return (self._bern0.log_prob(l0, _cast(z0, params), np.empty_like(l0))
                + self._bern1.log_prob(l1, _cast(z1, params), np.empty_like(l1)))

    def enumerate_latents(self) -> np.ndarray:
        if self.latent_dim > MAX_LATENT_BITS:
            raise ValueError(f"model: {self.latent_dim} latent bits are too many to enumerate (max {MAX_LATENT_BITS})")
        return binary_support(self.latent_dim)

    def log_marginal_exact(self, params, x) -> np.ndarray:
        """log p(x) = logsumexp_z1 [log p(x|z1) + log p(z1)], p(z1) = 2^-k0 sum_z0 p(z1|z0)."""
        self.enumerate_latents()
        c0, c1 = binary_support(self.k0), binary_support(self.k1)
        log_pz1 = logsumexp(_bernoulli_table(self._out("p_z1", params, c0), c1), axis=0) - self.k0 * np.log(2)
        lx = self._out("p_x", params, c1)  # (2^k1, n_out)
        out = np.empty(x.shape[0])
        for s in range(0, x.shape[0], 1024):
            xs = _cast(x[s:s + 1024], params)
            if isinstance(self.p_head, H.Bernoulli):
                out[s:s + 1024] = logsumexp(_bernoulli_table(lx, xs.astype(np.float64)).T + log_pz1, axis=1)
                continue
            table = np.stack([self.p_head.log_prob(np.ascontiguousarray(np.broadcast_to(lx[j], (len(xs), lx.shape[1]))),
                                                   xs, np.empty((len(xs), lx.shape[1]), lx.dtype))
                              for j in range(len(c1))], axis=1)
            out[s:s + 1024] = logsumexp(table + log_pz1, axis=1)
        return out

    def latent_probabilities(self, params, x, rng=None, samples: int = 16) -> np.ndarray:
        """q(z_j = 1 | x) per unit: exact for the first sampled layer, averaged over ``samples``
        draws of it for the second (Rao-Blackwellised)."""
        rng = np.random.default_rng(0) if rng is None else rng
        acc = np.zeros((x.shape[0], self.latent_dim))
        for _ in range(samples):
            l0, l1, _, _ = self._encoder_logits(params, x, rng=rng)
            acc += np.concatenate([H.Bernoulli(self.k0).mean(l0), H.Bernoulli(self.k1).mean(l1)], axis=1)
        return acc / samples

    def reconstruct(self, params, x, rng) -> np.ndarray:
        return self.p_head.mean(self._out("p_x", params, self._split(self.encode(params, x, rng))[1]))

    def chain_step(self, params, x, rng) -> np.ndarray:
        z1 = self._split(self.encode(params, x, rng))[1]
        return self.p_head.sample(self._out("p_x", params, z1), rng)

    def transition_matrix(self, params, points: np.ndarray) -> np.ndarray:
        """K(x'|x) = sum_z q(z|x) p(x'|z1) for all pairs of the given binary points (rows sum to 1
        when the points are the whole space)."""
        zs = self.enumerate_latents()
        n, m = len(points), len(zs)
        xq = np.repeat(points, m, axis=0)
        zq = np.tile(zs, (n, 1))
        q = np.exp(self.log_q(params, xq, zq)).reshape(n, m)
        c1 = binary_support(self.k1)
        px = np.exp(_bernoulli_table(self._out("p_x", params, c1), points))  # (2^k1, n)
        # z1 index of each latent config: its last k1 bits
        idx1 = zs[:, self.k0:] @ (1 << np.arange(self.k1 - 1, -1, -1))
        return q @ px[idx1.astype(int)]
