"""The exponential-family contract: everything a family contributes to the engines.

An engine dispatches only on these hooks, never on a family's class, and rejects a family it
cannot serve with a one-line ValueError (see ``game.engines``). :class:`ExponentialFamily`
implements every hook with a default, so a new family overrides only what differs.

=====================  ===========================================================================
hook                   what it contributes
=====================  ===========================================================================
log_partition, mean,   A(eta), grad A, Hessian A, the inverse mean map (the family itself)
covariance, natural
sufficient_statistics  T(y), log h(y)
log_base_measure
sample, draw           a draw per natural parameter (``draw``: the fast path used by the samplers)
support, support_size  enumeration of a finite support (``finite``)
natural_mask           free entries of a lifted parameter theta (e.g. a learned variance's block)
natural_start          moments-to-natural start fitted to a target marginal
relabellings           latent symmetries of a finite support (bit flips, class swaps)
rotation_variances     continuous latent symmetries (rotations of a Gaussian latent)
recession_blocks       the rows of the recession-direction LP (an unattained supremum)
kernel_code            the fused finite-game Numba kernel implementing the family (or None)
gaussian               served by the closed-form linear-Gaussian engine
example_natural        natural parameters inside the domain, for the conformance tests
=====================  ===========================================================================
"""
from __future__ import annotations

from typing import Protocol, runtime_checkable

import numpy as np


@runtime_checkable
class Family(Protocol):
    dim: int
    stat_dim: int
    finite: bool
    name: str
    kernel_code: int | None
    gaussian: bool

    def sufficient_statistics(self, y: np.ndarray) -> np.ndarray: ...

    def log_base_measure(self, y: np.ndarray) -> np.ndarray: ...

    def log_partition(self, eta: np.ndarray) -> np.ndarray: ...

    def mean(self, eta: np.ndarray) -> np.ndarray: ...

    def covariance(self, eta: np.ndarray) -> np.ndarray: ...

    def natural(self, mu: np.ndarray) -> np.ndarray: ...

    def log_density(self, y: np.ndarray, eta: np.ndarray) -> np.ndarray: ...

    def sample(self, eta: np.ndarray, seed: int | None = None,
               rng: np.random.Generator | None = None) -> np.ndarray: ...

    def draw(self, eta: np.ndarray, rng: np.random.Generator) -> np.ndarray: ...

    def support(self) -> np.ndarray: ...

    def natural_mask(self, n_features: int, bias_index: int | None) -> np.ndarray: ...

    def natural_start(self, mean_statistic: np.ndarray | None, moments: tuple[np.ndarray, np.ndarray],
                      exact: bool = False) -> np.ndarray: ...

    def relabellings(self, support: np.ndarray) -> tuple[str, list[tuple[str, np.ndarray]]]: ...

    def rotation_variances(self, par: np.ndarray) -> np.ndarray | None: ...

    def recession_blocks(self, y_stats: np.ndarray, feats: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]: ...

    def example_natural(self, rng: np.random.Generator, n: int) -> np.ndarray: ...

    def check_support(self, y, name: str = "y") -> np.ndarray: ...

    def check_natural(self, eta, name: str = "eta") -> np.ndarray: ...


def check_family(family, name: str = "family") -> Family:
    """``family`` if it meets the :class:`Family` contract, else a one-line ValueError."""
    if not isinstance(family, Family):
        missing = [m for m in _MEMBERS if not hasattr(family, m)]
        extra = f" (missing {', '.join(sorted(missing))})" if missing else ""
        raise ValueError(f"{name}: expected an exponential family (expfam_nash.families.Family), "
                         f"got {type(family).__name__}{extra}")
    return family


_MEMBERS = tuple(Family.__annotations__) + tuple(n for n, v in vars(Family).items()
                                                 if callable(v) and not n.startswith("_"))
