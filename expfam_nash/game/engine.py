"""The contracts of an exact game engine, and of the finite-support capability.

:class:`GameEngine` is what ``Game`` needs to compute a game exactly; every engine implements it.
:class:`FiniteSupport` is an explicit capability of engines over finite X and Z: the supports,
their statistics and features, the weights of the environment on them, and the conditional
tables. Verification and ``solve`` ask ``game.finite_support`` for it (None for other engines)
instead of reading an engine's fields.

Players are named ``"decoder"`` (its variable is x, conditioned on z) and ``"encoder"`` (its
variable is z, conditioned on x); arrays are (theta, phi) in the players' full shapes.
"""
from __future__ import annotations

from functools import lru_cache
from typing import Protocol, runtime_checkable

import numpy as np


@runtime_checkable
class GameEngine(Protocol):
    def evaluate(self, theta: np.ndarray, phi: np.ndarray) -> tuple[float, float, np.ndarray, np.ndarray]:
        """(L_p, L_q, grad_theta L_p, grad_phi L_q), penalties included, gradients full-shaped."""

    def jacobian(self, theta: np.ndarray, phi: np.ndarray) -> np.ndarray:
        """The game Jacobian on the free coordinates (flat layout)."""

    def own_hessians(self, theta: np.ndarray, phi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(d^2 L_p / d theta^2, d^2 L_q / d phi^2) on the free coordinates."""

    def player_objective(self, theta: np.ndarray, phi: np.ndarray, player: str) -> tuple[float, np.ndarray, np.ndarray]:
        """(utility, gradient on the free coordinates, own Hessian) of one player."""

    def in_domain(self, theta: np.ndarray, phi: np.ndarray) -> bool:
        """True iff the (finite) parameters lie in the natural domain."""

    def flow(self, theta: np.ndarray, phi: np.ndarray, lr: float, n_steps: int, tol: float):
        """A compiled run of simultaneous ascent (theta, phi, residuals, norms, utilities, steps),
        or None when the engine has none (then the generic loop of ``dynamics`` runs)."""


@runtime_checkable
class FiniteSupport(Protocol):
    """Finite X and Z: enumerated supports, their statistics and features, and conditional tables."""

    def support(self, player: str) -> np.ndarray:
        """The support of the player's own variable (X for the decoder, Z for the encoder)."""

    def support_statistics(self, player: str) -> np.ndarray:
        """T(x) over X (decoder) or S(z) over Z (encoder)."""

    def support_features(self, player: str) -> np.ndarray:
        """psi(z) over Z (decoder) or chi(x) over X (encoder): the player's conditioning features."""

    def data_rows(self) -> np.ndarray:
        """Rows of X holding the data points (in the order of the data distribution)."""

    def data_on_support(self) -> np.ndarray:
        """pi(x) over all of X."""

    def prior_on_support(self) -> np.ndarray:
        """pi(z) over all of Z."""

    def decoder_table(self, theta: np.ndarray) -> np.ndarray:
        """p(x_i | z_j) over X x Z."""

    def encoder_table(self, phi: np.ndarray, rows: np.ndarray | None = None) -> np.ndarray:
        """q(z_j | x_i) for the given rows of X (all of X by default)."""

    def weighted_pairs(self, player: str) -> tuple[np.ndarray, np.ndarray]:
        """(own statistics, conditioning features) of the pairs with positive weight in the utility."""


@lru_cache(maxsize=None)
def _network_class(cls: type) -> bool:
    return issubclass(cls, NetworkStructure)


def is_network(game) -> bool:
    """``isinstance(game, NetworkStructure)`` decided once per class (the runtime protocol check
    costs tens of microseconds per call on Python 3.11, on every solve's hot path)."""
    return _network_class(type(game))


def natural_extent(finite: FiniteSupport, theta: np.ndarray, phi: np.ndarray) -> float:
    """max |natural parameter| over the finite supports: max |theta psi(z)|, |phi chi(x)|."""
    return float(max(np.abs(finite.support_features("decoder") @ theta.T).max(),
                     np.abs(finite.support_features("encoder") @ phi.T).max()))


@runtime_checkable
class NetworkStructure(Protocol):
    """A game whose players each hold several conditionals (``game.network.NetworkGame``): it has
    no single family and lift per player, so it answers the structural questions that the generic
    code otherwise reads off them. ``solve``, ``verify`` and the certificates ask through this
    protocol (``isinstance(game, NetworkStructure)``), as they ask ``FiniteSupport`` of finite pairs."""

    def collapsed_point(self):
        """Every conditional independent of its conditioning variables (the collapsed start)."""

    def is_collapsed(self, params, tol: float = 1e-7) -> bool:
        """Encoders independent of the data and decoders independent of the latents (unit-free)."""

    def saturated(self, params) -> bool:
        """A point where float64 cannot certify an equilibrium (the natural domain's boundary)."""

    def symmetry_group(self) -> tuple[str, int]:
        """(description, dimension of the continuous part) of the latent symmetries."""

    def invariant_scales(self) -> dict:
        """{invariant: its scale} (the units in which ``verify`` compares invariants)."""

    def sampled_estimate(self, params, n_samples: int, rng):
        """Monte Carlo utilities and pseudo-gradient from ``n_samples`` draws per phase (any n >= 1)."""
