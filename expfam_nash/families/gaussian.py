"""Gaussian families on R^d.

* ``GaussianFixed(d, variance=s)``: T(y) = y / s, A(eta) = |eta|^2 / (2 s),
  log h(y) = -|y|^2/(2s) - d/2 log(2 pi s). The natural parameter eta *is* the mean of y.
* ``GaussianLearned(d)``: diagonal variance learned, T(y) = (y, y^2) (first block y, second
  block y^2), eta = (eta1, eta2) with eta2 < 0, variance v = -1/(2 eta2), location m = eta1 v,
  A(eta) = sum_a [-eta1_a^2/(4 eta2_a) - 1/2 log(-2 eta2_a)] + d/2 log(2 pi), h = 1.
  In a lifted parameter the second block lives in the constant (bias) column only, so the
  variance does not depend on the conditioning variable and the domain eta2 < 0 is a box.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..core.constants import LOG_2PI
from ..core.registry import Arg
from ..core.validation import check_int, check_positive
from .base import ExponentialFamily
from .registry import FAMILIES


class _Gaussian(ExponentialFamily):
    """Hooks shared by the Gaussian families: moments-to-natural starts, rotations of the latent
    units, and the channel view y = G f + N(0, diag(w)) of a lifted parameter used by the
    linear-Gaussian engine and the invariants."""

    gaussian = True
    finite = False
    #: the fixed isotropic variance, or None when the variance is learned
    fixed_variance: float | None = None

    def location_coefficients(self, par: np.ndarray) -> np.ndarray:
        """G with E[y | u] = G psi(u) for a lifted parameter ``par`` (d x n_features)."""
        raise NotImplementedError

    def noise_variances(self, par: np.ndarray) -> np.ndarray:
        """The diagonal noise variances of y given u."""
        raise NotImplementedError

    def rotation_variances(self, par):
        return self.noise_variances(par)


@FAMILIES.register("gaussian-fixed", args=(Arg("d", int, 1, "dimension"),
                                            Arg("variance", float, 1.0, "the fixed isotropic variance")),
                   help="N(eta, variance I) on R^d, T(y) = y / variance (eta is the mean)",
                   examples=({"d": 1, "variance": 0.5}, {"d": 2, "variance": 1.5}))
@dataclass(frozen=True, repr=False)
class GaussianFixed(_Gaussian):
    d: int
    variance: float = 1.0

    def __post_init__(self):
        check_int(self.d, "d")
        object.__setattr__(self, "variance", check_positive(self.variance, "variance"))

    dim = property(lambda self: self.d)
    stat_dim = property(lambda self: self.d)
    fixed_variance = property(lambda self: self.variance)
    name = property(lambda self: f"GaussianFixed({self.d}, variance={self.variance:g})")

    def sufficient_statistics(self, y):
        return np.asarray(y, dtype=np.float64) / self.variance

    def log_base_measure(self, y):
        y = np.asarray(y, dtype=np.float64)
        return -0.5 * np.sum(y * y, axis=1) / self.variance - 0.5 * self.d * np.log(2 * np.pi * self.variance)

    def log_partition(self, eta):
        return 0.5 * np.sum(eta * eta, axis=1) / self.variance

    def mean(self, eta):
        return eta / self.variance

    def covariance(self, eta):
        return np.broadcast_to(np.eye(self.d) / self.variance, (eta.shape[0], self.d, self.d)).copy()

    def natural(self, mu):
        return self._check_mean(mu) * self.variance

    def location(self, eta: np.ndarray) -> np.ndarray:
        """E[y] (= eta in these coordinates)."""
        return np.asarray(eta, dtype=np.float64)

    def _sample(self, eta, rng):
        return eta + np.sqrt(self.variance) * rng.standard_normal(eta.shape)

    def example_natural(self, rng, n):
        return rng.standard_normal((n, self.d))

    def natural_start(self, mean_statistic, moments, exact=False):
        return self.natural(moments[0][None] / self.variance)[0]

    def location_coefficients(self, par):
        return par

    def noise_variances(self, par):
        return np.full(self.d, self.variance)

    def rotation_variances(self, par):
        return np.full(self.d, 1.0)


@FAMILIES.register("gaussian-learned", args=(Arg("d", int, 1, "dimension"),),
                   help="N(m, diag v) on R^d with learned variance, T(y) = (y, y^2), second block < 0",
                   examples=({"d": 1}, {"d": 2}))
@dataclass(frozen=True, repr=False)
class GaussianLearned(_Gaussian):
    d: int

    def __post_init__(self):
        check_int(self.d, "d")

    dim = property(lambda self: self.d)
    stat_dim = property(lambda self: 2 * self.d)
    name = property(lambda self: f"GaussianLearned({self.d})")

    def _split(self, eta):
        return eta[:, : self.d], eta[:, self.d:]

    def sufficient_statistics(self, y):
        y = np.asarray(y, dtype=np.float64)
        return np.concatenate([y, y * y], axis=1)

    def log_base_measure(self, y):
        return np.zeros(np.asarray(y).shape[0])

    def log_partition(self, eta):
        e1, e2 = self._split(eta)
        return np.sum(-e1 * e1 / (4 * e2) - 0.5 * np.log(-2 * e2), axis=1) + 0.5 * self.d * LOG_2PI

    def location(self, eta: np.ndarray) -> np.ndarray:
        e1, e2 = self._split(eta)
        return -e1 / (2 * e2)

    def variances(self, eta: np.ndarray) -> np.ndarray:
        return -0.5 / self._split(eta)[1]

    def mean(self, eta):
        m, v = self.location(eta), self.variances(eta)
        return np.concatenate([m, m * m + v], axis=1)

    def covariance(self, eta):
        m, v = self.location(eta), self.variances(eta)
        n, d = m.shape
        out = np.zeros((n, 2 * d, 2 * d))
        a = np.arange(d)
        out[:, a, a] = v
        out[:, a, d + a] = out[:, d + a, a] = 2 * m * v
        out[:, d + a, d + a] = 4 * m * m * v + 2 * v * v
        return out

    def natural(self, mu):
        mu = np.atleast_2d(self._check_mean(mu))
        m, s = mu[:, : self.d], mu[:, self.d:]
        v = s - m * m
        if np.any(v <= 0):
            raise ValueError("mu: second moments must exceed squared means (variance > 0)")
        return np.concatenate([m / v, -0.5 / v], axis=1)

    def natural_mask(self, n_features, bias_index):
        mask = np.ones((self.stat_dim, n_features), dtype=bool)
        if bias_index is None:
            return mask  # finite conditioning space: eta2 < 0 checked point-wise
        mask[self.d:, :] = False
        mask[self.d:, bias_index] = True
        return mask

    def check_natural(self, eta, name="eta"):
        eta = super().check_natural(eta, name)
        if np.any(eta[:, self.d:] >= 0):
            raise ValueError(f"{name}: {self.name} needs the second (precision) block < 0")
        return eta

    def _sample(self, eta, rng):
        return self.location(eta) + np.sqrt(self.variances(eta)) * rng.standard_normal((eta.shape[0], self.d))

    def example_natural(self, rng, n):
        return np.concatenate([rng.standard_normal((n, self.d)), -rng.uniform(0.25, 3.0, (n, self.d))], axis=1)

    def natural_start(self, mean_statistic, moments, exact=False):
        mean, cov = moments
        var = np.maximum(np.diag(cov), 1e-3)
        return np.concatenate([mean / var, -0.5 / var])

    def location_coefficients(self, par):
        return par[:self.d] * self.noise_variances(par)[:, None]

    def noise_variances(self, par):
        """v = -1 / (2 beta), beta the precision block in the constant (last) column."""
        return -0.5 / par[self.d:, -1]
