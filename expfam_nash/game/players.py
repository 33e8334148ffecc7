"""A player: a lifted exponential family  p(y|u) = h(y) exp(<T(y), theta psi(u)> - A(theta psi(u)))."""
from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from ..families.base import ExponentialFamily
from ..families.lifts import Lift
from ..families.protocol import check_family

#: the two players, in the order of the flat layout (theta first, then phi)
PLAYERS = ("decoder", "encoder")


def l2_penalty(par: np.ndarray, mask: np.ndarray, rho: float) -> tuple[float, np.ndarray]:
    """(rho/2 |par * mask|^2, its gradient rho * par * mask): the game's L2 penalty on the entries
    flagged in ``mask`` (the weights of non-constant features, see ``Player.penalty_mask``)."""
    if rho == 0:     # no term at all (0 * |par|^2 would be NaN where |par|^2 overflows)
        return 0.0, np.zeros_like(par, dtype=np.float64)
    penalised = par * mask
    return 0.5 * rho * float(np.sum(penalised ** 2)), rho * penalised


def check_player(name: str) -> str:
    if name not in PLAYERS:
        raise ValueError(f"player: expected one of {PLAYERS}, got {name!r}")
    return name


@dataclass(frozen=True)
class Player:
    """``family`` is the family of the player's own variable y, ``lift`` maps the conditioning
    variable u to features psi(u). The parameter theta has shape (family.stat_dim, lift.n_features);
    entries outside ``mask`` are structurally zero."""

    family: ExponentialFamily
    lift: Lift

    def __post_init__(self):
        check_family(self.family)

    @property
    def shape(self) -> tuple[int, int]:
        return (self.family.stat_dim, self.lift.n_features)

    @cached_property
    def mask(self) -> np.ndarray:
        mask = self.family.natural_mask(self.lift.n_features, self.lift.bias_index)
        mask.setflags(write=False)
        return mask

    @cached_property
    def penalty_mask(self) -> np.ndarray:
        """Entries the L2 penalty acts on: free weights of non-constant features."""
        mask = self.mask.copy()
        if self.lift.bias_index is not None:
            mask[:, self.lift.bias_index] = False
        mask.setflags(write=False)
        return mask

    @property
    def size(self) -> int:
        return int(self.mask.sum())

    def penalty(self, par: np.ndarray, rho: float) -> tuple[float, np.ndarray]:
        """The L2 penalty rho/2 |par|^2 over ``penalty_mask`` and its gradient."""
        return l2_penalty(par, self.penalty_mask, rho)

    def natural(self, theta: np.ndarray, features: np.ndarray) -> np.ndarray:
        """eta(u) = theta psi(u) for each row of ``features`` = psi(u)."""
        return features @ theta.T

    def describe(self) -> str:
        return f"{self.family.name} given {self.lift.name}"
