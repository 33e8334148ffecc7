"""Exponential-family output heads: a network output o parametrises a conditional density.

Each head knows how many network outputs it reads (``n_out``), how wide its variable is
(``dim``), and gives

* ``log_prob(o, t, grad, scale)``: log p(t | o) per row, writing scale * d log p / d o into grad,
* ``sample(o, rng)``: t ~ p(. | o) from the seeded generator,
* ``mean(o)``: E[t | o].

For Bernoulli and categorical heads o is the natural parameter, so grad = T(t) - mean(o), the
same moment-matching gradient as the lifted pairs. :class:`Product` concatenates heads (e.g. a
categorical label part and binary latents), giving the product density.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import expit

from . import kernels as K

_LOGVAR_RANGE = (float(np.log(1e-4)), float(np.log(1e4)))


@dataclass(frozen=True)
class Bernoulli:
    """p(t|o) = prod_j sigmoid(o_j)^t_j (1 - sigmoid(o_j))^(1 - t_j), t in {0,1}^dim."""

    dim: int
    kind = "bernoulli"

    @property
    def n_out(self) -> int:
        return self.dim

    def log_prob(self, o, t, grad, scale=1.0):
        return K.bernoulli_head(o, t, grad, scale)

    def sample(self, o, rng):
        out = np.empty_like(o)
        K.bernoulli_sample(o, rng.random(o.shape, dtype=o.dtype), out)
        return out

    def mean(self, o):
        return expit(o)


@dataclass(frozen=True)
class Categorical:
    """Softmax over dim classes; the variable is the one-hot vector t."""

    dim: int
    kind = "categorical"

    @property
    def n_out(self) -> int:
        return self.dim

    def log_prob(self, o, t, grad, scale=1.0):
        return K.categorical_head(o, t, grad, scale)

    def sample(self, o, rng):
        out = np.empty_like(o)
        K.categorical_sample(o, rng.random(o.shape[0], dtype=o.dtype), out)
        return out

    def mean(self, o):
        p = np.exp(o - o.max(1, keepdims=True))
        return p / p.sum(1, keepdims=True)


@dataclass(frozen=True)
class GaussianFixed:
    """N(o, variance I): the mean is the output, the variance a fixed number > 0."""

    dim: int
    variance: float = 1.0
    kind = "gaussian"

    def __post_init__(self):
        if not self.variance > 0:
            raise ValueError(f"variance: expected a number > 0, got {self.variance}")

    @property
    def n_out(self) -> int:
        return self.dim

    def log_prob(self, o, t, grad, scale=1.0):
        return K.gaussian_fixed_head(o, t, grad, scale, self.variance)

    def sample(self, o, rng):
        return o + np.sqrt(self.variance) * rng.standard_normal(o.shape, dtype=o.dtype)

    def mean(self, o):
        return o


@dataclass(frozen=True)
class GaussianLearned:
    """N(mu, diag exp(s)) with o = (mu, s); s is clipped to [log 1e-4, log 1e4]."""

    dim: int
    kind = "gaussian-learned"

    @property
    def n_out(self) -> int:
        return 2 * self.dim

    def log_prob(self, o, t, grad, scale=1.0):
        return K.gaussian_learned_head(o, t, grad, scale, *_LOGVAR_RANGE)

    def sample(self, o, rng):
        out = np.empty((o.shape[0], self.dim), dtype=o.dtype)
        K.gaussian_learned_sample(o, rng.standard_normal(out.shape, dtype=o.dtype), out, *_LOGVAR_RANGE)
        return out

    def mean(self, o):
        return o[:, : self.dim]

    def log_variance(self, o):
        return np.clip(o[:, self.dim:], *_LOGVAR_RANGE)


@dataclass(frozen=True)
class Product:
    """Independent parts side by side: log p(t|o) = sum_k log p_k(t_k | o_k)."""

    parts: tuple
    kind = "product"

    @property
    def dim(self) -> int:
        return sum(p.dim for p in self.parts)

    @property
    def n_out(self) -> int:
        return sum(p.n_out for p in self.parts)

    def _slices(self):
        o0 = t0 = 0
        for p in self.parts:
            yield p, slice(o0, o0 + p.n_out), slice(t0, t0 + p.dim)
            o0 += p.n_out
            t0 += p.dim

    def log_prob(self, o, t, grad, scale=1.0):
        total = np.zeros(o.shape[0])
        for p, so, st in self._slices():
            g = np.empty((o.shape[0], p.n_out), dtype=o.dtype)
            total += p.log_prob(np.ascontiguousarray(o[:, so]), np.ascontiguousarray(t[:, st]), g, scale)
            grad[:, so] = g
        return total

    def sample(self, o, rng):
        return np.concatenate([p.sample(np.ascontiguousarray(o[:, so]), rng) for p, so, _ in self._slices()], axis=1)

    def mean(self, o):
        return np.concatenate([p.mean(o[:, so]) for p, so, _ in self._slices()], axis=1)
