"""Exponential-family output heads: a network output o parametrises a conditional density.

Each head knows how many network outputs it reads (``n_out``), how wide its variable is
(``dim``), and gives

* ``log_prob(o, t, grad, scale)``: log p(t | o) per row, writing scale * d log p / d o into grad,
* ``log_prob_table(o, t)``: log p(t_b | o_a) for every pair of rows (a closed form, one matrix
  product, for the Bernoulli, categorical and Gaussian heads),
* ``sample(o, rng)``: t ~ p(. | o) from the seeded generator,
* ``mean(o)``: E[t | o].

For Bernoulli and categorical heads o is the natural parameter, so grad = T(t) - mean(o), the
same moment-matching gradient as the lifted pairs. :class:`Product` concatenates heads (e.g. a
categorical label part and binary latents), giving the product density.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.special import expit, logsumexp

from ..core.constants import LOG_2PI
from . import kernels as K

#: the clip range [log 1e-4, log 1e4] of a learned log-variance
LOGVAR_RANGE = (float(np.log(1e-4)), float(np.log(1e4)))


def check_data(head, x: np.ndarray, name: str = "x") -> None:
    """ValueError unless ``x`` lies in the support of a data head (0/1 for a Bernoulli head; any
    finite value for the Gaussian heads): training or evaluating a Bernoulli decoder on other
    values would silently fit a different model."""
    if isinstance(head, Bernoulli) and np.any((x != 0) & (x != 1)):
        raise ValueError(f"{name}: the model's data head is Bernoulli, so x must be 0 or 1 (got values in "
                         f"[{float(np.min(x)):.3g}, {float(np.max(x)):.3g}])")


class _Head:
    """The pairwise table of any head by tiling (heads with a closed form override it)."""

    def log_prob_table(self, o: np.ndarray, t: np.ndarray) -> np.ndarray:
        """log p(t_b | o_a) for every row a of the outputs and row b of the targets: (len(o), len(t))
        (here by tiling the pairs: keep len(o) * len(t) moderate)."""
        o, t = np.asarray(o, dtype=np.float64), np.asarray(t, dtype=np.float64)
        a, b = o.shape[0], t.shape[0]
        oo = np.ascontiguousarray(np.repeat(o, b, axis=0))
        tt = np.ascontiguousarray(np.tile(t, (a, 1)))
        return np.asarray(self.log_prob(oo, tt, np.empty_like(oo)), dtype=np.float64).reshape(a, b)


@dataclass(frozen=True)
class Bernoulli(_Head):
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

    def log_prob_table(self, o, t):
        o, t = np.asarray(o, dtype=np.float64), np.asarray(t, dtype=np.float64)
        return o @ t.T - np.logaddexp(0.0, o).sum(1, keepdims=True)


@dataclass(frozen=True)
class Categorical(_Head):
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

    def log_prob_table(self, o, t):
        o, t = np.asarray(o, dtype=np.float64), np.asarray(t, dtype=np.float64)
        return (o - logsumexp(o, axis=1, keepdims=True)) @ t.T


@dataclass(frozen=True)
class GaussianFixed(_Head):
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

    def log_prob_table(self, o, t):
        o, t = np.asarray(o, dtype=np.float64), np.asarray(t, dtype=np.float64)
        v = self.variance
        return (-0.5 / v) * ((o * o).sum(1)[:, None] - 2 * o @ t.T + (t * t).sum(1)[None, :]) \
            - 0.5 * self.dim * (LOG_2PI + math.log(v))


@dataclass(frozen=True)
class GaussianLogVariance(_Head):
    """N(mu, diag exp(s)) with o = (mu, s): the network outputs the mean and the log-variance (not
    the natural parameters of ``families.GaussianLearned``); s is clipped to ``LOGVAR_RANGE``."""

    dim: int
    kind = "gaussian-learned"

    @property
    def n_out(self) -> int:
        return 2 * self.dim

    def log_prob(self, o, t, grad, scale=1.0):
        return K.gaussian_learned_head(o, t, grad, scale, *LOGVAR_RANGE)

    def sample(self, o, rng):
        out = np.empty((o.shape[0], self.dim), dtype=o.dtype)
        K.gaussian_learned_sample(o, rng.standard_normal(out.shape, dtype=o.dtype), out, *LOGVAR_RANGE)
        return out

    def mean(self, o):
        return o[:, : self.dim]

    def log_variance(self, o):
        return np.clip(o[:, self.dim:], *LOGVAR_RANGE)

    def log_prob_table(self, o, t):
        o, t = np.asarray(o, dtype=np.float64), np.asarray(t, dtype=np.float64)
        k = self.dim
        mu, s = o[:, :k], self.log_variance(o)
        prec = np.exp(-s)
        quad = prec @ (t * t).T - 2 * (mu * prec) @ t.T + (mu * mu * prec).sum(1, keepdims=True)
        return -0.5 * quad - 0.5 * (s.sum(1, keepdims=True) + k * LOG_2PI)


#: the older name of :class:`GaussianLogVariance`
GaussianLearned = GaussianLogVariance


@dataclass(frozen=True)
class Product(_Head):
    """Independent parts side by side: log p(t|o) = sum_k log p_k(t_k | o_k)."""

    parts: tuple
    kind = "product"

    @property
    def dim(self) -> int:
        return sum(p.dim for p in self.parts)

    @property
    def n_out(self) -> int:
        return sum(p.n_out for p in self.parts)

    def slices(self):
        """(part, slice of the outputs, slice of the variable) for each part."""
        o0 = t0 = 0
        for p in self.parts:
            yield p, slice(o0, o0 + p.n_out), slice(t0, t0 + p.dim)
            o0 += p.n_out
            t0 += p.dim

    def log_prob(self, o, t, grad, scale=1.0):
        total = np.zeros(o.shape[0])
        for p, so, st in self.slices():
            g = np.empty((o.shape[0], p.n_out), dtype=o.dtype)
            total += p.log_prob(np.ascontiguousarray(o[:, so]), np.ascontiguousarray(t[:, st]), g, scale)
            grad[:, so] = g
        return total

    def sample(self, o, rng):
        return np.concatenate([p.sample(np.ascontiguousarray(o[:, so]), rng) for p, so, _ in self.slices()], axis=1)

    def mean(self, o):
        return np.concatenate([p.mean(o[:, so]) for p, so, _ in self.slices()], axis=1)

    def log_prob_table(self, o, t):
        o, t = np.asarray(o, dtype=np.float64), np.asarray(t, dtype=np.float64)
        out = np.zeros((o.shape[0], t.shape[0]))
        for p, so, st in self.slices():
            out += p.log_prob_table(o[:, so], t[:, st])
        return out
