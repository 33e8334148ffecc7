"""Exponential families p(y) = h(y) exp(<T(y), eta> - A(eta)).

Every family works on batches: a variable ``y`` is an ``(N, dim)`` array, a natural
parameter ``eta`` an ``(N, stat_dim)`` array, and the methods act row-wise.
Natural and mean parameters are separate coordinates:

* ``log_partition(eta) = A(eta)``,
* ``mean(eta) = grad A(eta) = E[T(y)]`` (the mean map),
* ``covariance(eta) = Hessian A(eta) = Cov[T(y)]``,
* ``natural(mu)`` inverts the mean map on the interior of the mean domain.

Besides the family itself, a family carries the *hooks* through which the engines use it (see
:class:`~expfam_nash.families.protocol.Family`); :class:`ExponentialFamily` gives each hook a
default that is correct for any finite family (or says "not applicable" for a continuous one),
so a new family is one subclass and one registration. The conformance suite (tests) checks
grad A = mean, Hessian A = covariance, natural/mean round trips, normalisation and sampling
moments for every registered family.
"""
from __future__ import annotations

import functools
from abc import ABC, abstractmethod

import numpy as np

from ..core.validation import NonFiniteError, as_float_array, as_rng

#: above this many distinct constraint rows the recession LP is not attempted
MAX_LP_ROWS = 200_000


class NotDecided(Exception):
    """The recession certificate does not apply (continuous family) or its LP is too large."""


def _checked(method, check):
    """``method`` with its one array argument validated by ``check(self, value)`` first, and its
    result checked finite (a map that overflows float64 raises instead of returning inf or NaN)."""
    @functools.wraps(method)
    def call(self, value, *args, **kwargs):
        with np.errstate(all="ignore"):
            out = method(self, check(self, value), *args, **kwargs)
        return _finite_result(out, f"{self.name}.{method.__name__}")
    call.__validated__ = True
    return call


def _finite_result(out, what: str):
    if not np.all(np.isfinite(out)):
        raise NonFiniteError(f"{what}: not finite in float64 at these parameters (they are too extreme)")
    return out


#: the family's public maps and the check each applies to its argument (see ``__init_subclass__``)
_VALIDATED = {"log_partition": lambda self, eta: self.check_natural(eta, "eta"),
              "mean": lambda self, eta: self.check_natural(eta, "eta"),
              "covariance": lambda self, eta: self.check_natural(eta, "eta"),
              "natural": lambda self, mu: self._check_mean(mu, "mu")}


class ExponentialFamily(ABC):
    """Abstract exponential family over a space of ``dim``-dimensional variables.

    Every subclass's ``log_partition``, ``mean`` and ``covariance`` get their ``eta`` checked
    (``check_natural``: finite, shape (N, stat_dim) or (stat_dim,), in the natural domain) and
    ``natural`` its ``mu`` (``_check_mean``: finite, shape (N, stat_dim) or (stat_dim,)), so a
    family implements the maps on valid arrays only and no family forgets the checks."""

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        for name, check in _VALIDATED.items():
            method = cls.__dict__.get(name)
            if method is not None and not getattr(method, "__isabstractmethod__", False) \
                    and not getattr(method, "__validated__", False):
                setattr(cls, name, _checked(method, check))

    #: dimension of the variable y
    dim: int
    #: dimension m of the sufficient statistic T(y)
    stat_dim: int
    #: True when the support is finite (enumerable)
    finite: bool
    name: str
    #: code of the fused finite-game kernel implementing this family (``kernels.codes``), or None
    kernel_code: int | None = None
    #: True for the Gaussian families of the closed-form linear-Gaussian engine
    gaussian: bool = False

    # -- the family ------------------------------------------------------------
    @abstractmethod
    def sufficient_statistics(self, y: np.ndarray) -> np.ndarray:
        """T(y), shape (N, stat_dim)."""

    @abstractmethod
    def log_base_measure(self, y: np.ndarray) -> np.ndarray:
        """log h(y), shape (N,)."""

    @abstractmethod
    def log_partition(self, eta: np.ndarray) -> np.ndarray:
        """A(eta), shape (N,)."""

    @abstractmethod
    def mean(self, eta: np.ndarray) -> np.ndarray:
        """Mean map mu(eta) = grad A(eta) = E[T(y)], shape (N, stat_dim)."""

    @abstractmethod
    def covariance(self, eta: np.ndarray) -> np.ndarray:
        """Cov[T(y)] = Hessian of A, shape (N, stat_dim, stat_dim)."""

    @abstractmethod
    def natural(self, mu: np.ndarray) -> np.ndarray:
        """Inverse of the mean map: eta with mean(eta) = mu."""

    @abstractmethod
    def _sample(self, eta: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """One draw per row of eta."""

    @abstractmethod
    def example_natural(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """n natural parameters well inside the domain (for the conformance tests)."""

    # -- hooks used by the engines (defaults: any finite family) -------------------------
    def natural_mask(self, n_features: int, bias_index: int | None) -> np.ndarray:
        """Free entries of a lifted parameter theta (stat_dim x n_features), eta = theta psi."""
        return np.ones((self.stat_dim, n_features), dtype=bool)

    def draw(self, eta: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """One draw per row of ``eta`` for the samplers of the game (families with a Numba sampling
        kernel override this; the default is :meth:`sample`)."""
        return self.sample(eta, rng=rng)

    def natural_start(self, mean_statistic: np.ndarray | None, moments: tuple[np.ndarray, np.ndarray],
                      exact: bool = False) -> np.ndarray:
        """Natural parameter of a start fitted to a target: ``mean_statistic`` = E[T(y)] under the
        target (None unless the target is a finite distribution), ``moments`` = (mean, cov) of y.
        Finite families: the target's mean statistic mixed 1% with the mean map at eta = 0 (so it
        lies strictly inside the mean domain even for a constant pixel); ``exact`` keeps the
        unmixed one when it is interior. Without a mean statistic: eta = 0."""
        if not self.finite or mean_statistic is None:
            return np.zeros(self.stat_dim)
        if exact:
            try:
                return self.natural(mean_statistic[None])[0]
            except ValueError:
                pass
        mu = 0.99 * mean_statistic + 0.01 * self.mean(np.zeros((1, self.stat_dim)))[0]
        return self.natural(mu[None])[0]

    def relabellings(self, support: np.ndarray) -> tuple[str, list[tuple[str, np.ndarray]]]:
        """(kind, [(name, g(support))]): candidate relabellings g of a finite latent support (the
        verifier keeps those that preserve the prior). Default: none known."""
        return "", []

    def rotation_variances(self, par: np.ndarray) -> np.ndarray | None:
        """Per-unit noise variances when rotations z -> R z of the variable are symmetries of the
        lifted family (units of equal variance can be mixed); None when they are not."""
        return None

    def recession_blocks(self, y_stats: np.ndarray, feats: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
        """Constraint rows of the recession LP (``game.recession``): a list of (rows of theta,
        constraint matrix over those rows' entries, row-major). A direction D is a certificate
        when each observed statistic T(y_r) maximises <T(y), D psi_r> over the support, i.e.
        (T(y_r) - T(y')) (x) psi_r . D >= 0 for every support point y'. Raises NotDecided for
        continuous families and above ``MAX_LP_ROWS`` rows."""
        if not self.finite:
            raise NotDecided(f"{self.name}: no finite support")
        stats = self.sufficient_statistics(self.support())
        n, m = y_stats.shape
        if n * stats.shape[0] > MAX_LP_ROWS:
            raise NotDecided(f"{n * stats.shape[0]} constraint rows: LP not attempted")
        rows = []
        for other in stats:
            coef = y_stats - other
            keep = np.any(coef != 0, axis=1)
            rows.append((coef[keep, :, None] * feats[keep, None, :]).reshape(-1, m * feats.shape[1]))
        return [(np.arange(m), np.concatenate(rows))]

    # -- derived ---------------------------------------------------------------
    def log_density(self, y: np.ndarray, eta: np.ndarray) -> np.ndarray:
        """log p(y; eta) = log h(y) + <T(y), eta> - A(eta), row-wise."""
        y = self.check_support(y, "y")
        eta = self.check_natural(eta, "eta")
        if eta.shape[0] not in (1, y.shape[0]):
            raise ValueError(f"eta: expected 1 or {y.shape[0]} rows to match y, got {eta.shape[0]}")
        t = self.sufficient_statistics(y)
        with np.errstate(all="ignore"):
            out = self.log_base_measure(y) + np.sum(t * eta, axis=1) - self.log_partition(eta)
        return _finite_result(out, f"{self.name}.log_density")

    def sample(self, eta: np.ndarray, seed: int | None = None, rng: np.random.Generator | None = None) -> np.ndarray:
        """One draw y ~ p(.; eta_i) for each row i of ``eta``."""
        eta = self.check_natural(eta, "eta")
        return self._sample(eta, as_rng(seed, rng))

    def support(self) -> np.ndarray:
        """All points of a finite support, shape (support_size, dim)."""
        raise ValueError(f"{self.name}: the support is continuous and cannot be enumerated; use the sampled engine")

    @property
    def support_size(self) -> float:
        return float("inf")

    # -- validation ------------------------------------------------------------
    def check_natural(self, eta, name: str = "eta") -> np.ndarray:
        eta = as_float_array(eta, name)
        if eta.ndim == 1:
            eta = eta[None, :]
        if eta.ndim != 2 or eta.shape[1] != self.stat_dim:
            raise ValueError(f"{name}: expected shape (N, {self.stat_dim}) for {self.name}, got {eta.shape}")
        return eta

    def _check_mean(self, mu, name: str = "mu") -> np.ndarray:
        """A finite mean parameter of shape (stat_dim,) or (N, stat_dim); the shape is kept."""
        mu = as_float_array(mu, name)
        if mu.ndim == 0 and self.stat_dim == 1:
            return mu
        if mu.ndim not in (1, 2) or mu.shape[-1] != self.stat_dim:
            raise ValueError(f"{name}: expected shape (N, {self.stat_dim}) for {self.name}, got {mu.shape}")
        return mu

    def check_support(self, y, name: str = "y") -> np.ndarray:
        y = as_float_array(y, name)
        if y.ndim == 1:
            y = y[None, :] if self.dim > 1 or y.size == 1 else y[:, None]
        if y.ndim != 2 or y.shape[1] != self.dim:
            raise ValueError(f"{name}: expected shape (N, {self.dim}) for {self.name}, got {y.shape}")
        return y

    def __repr__(self) -> str:
        return self.name
