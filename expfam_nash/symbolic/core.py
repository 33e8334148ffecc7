"""A game written out in sympy: both utilities as expressions in the free parameters.

Everything else is *derived* by differentiation, never transcribed from the numeric engine:

    pseudo-gradient   g = (dL_p/dtheta_free, dL_q/dphi_free)        (each player differentiates
                                                                    only its own utility, the other
                                                                    player's parameters held fixed)
    own Hessians      d^2 L_p/dtheta^2,  d^2 L_q/dphi^2
    game Jacobian     J = dg / d(theta_free, phi_free)

The flat order is the engine's: theta[mask] row-major, then phi[mask] row-major.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Callable, Mapping

import numpy as np
import sympy as sp

__all__ = ["SymbolicGame", "NumericGame", "parameter_matrix", "lambdify_game"]


def parameter_matrix(prefix: str, mask: np.ndarray) -> sp.Matrix:
    """Matrix of real symbols ``prefix_i_j`` on ``mask`` and 0 elsewhere."""
    rows, cols = mask.shape
    return sp.Matrix(rows, cols, lambda i, j: sp.Symbol(f"{prefix}_{i}_{j}", real=True) if mask[i, j] else 0)


@dataclass(frozen=True, eq=False)
class SymbolicGame:
    """Utilities L_p(theta, phi), L_q(theta, phi) of a lifted pair as sympy expressions.

    ``theta``/``phi`` are full-shaped matrices holding symbols on their masks; ``constants`` are
    the free symbols of the specification (data weights, lam, s, t, alpha, ...); ``spec`` records
    the specification so that ``checks.engine_game`` can build the same game numerically.
    """

    name: str
    theta: sp.Matrix
    phi: sp.Matrix
    theta_mask: np.ndarray
    phi_mask: np.ndarray
    L_p: sp.Expr
    L_q: sp.Expr
    constants: tuple = ()
    spec: Mapping[str, Any] = field(default_factory=dict)

    @property
    def theta_symbols(self) -> list[sp.Symbol]:
        return [self.theta[i, j] for i, j in zip(*np.nonzero(self.theta_mask))]

    @property
    def phi_symbols(self) -> list[sp.Symbol]:
        return [self.phi[i, j] for i, j in zip(*np.nonzero(self.phi_mask))]

    @property
    def symbols(self) -> list[sp.Symbol]:
        """Free parameters in the engine's flat order."""
        return self.theta_symbols + self.phi_symbols

    @cached_property
    def gradient(self) -> sp.Matrix:
        """Pseudo-gradient (column): dL_p/dtheta_free then dL_q/dphi_free."""
        return sp.Matrix([sp.diff(self.L_p, v) for v in self.theta_symbols]
                         + [sp.diff(self.L_q, v) for v in self.phi_symbols])

    @cached_property
    def jacobian(self) -> sp.Matrix:
        """J = d(pseudo-gradient)/d(theta_free, phi_free)."""
        return self.gradient.jacobian(self.symbols)

    @property
    def own_hessians(self) -> tuple[sp.Matrix, sp.Matrix]:
        """(d^2 L_p/dtheta^2, d^2 L_q/dphi^2): the diagonal blocks of J."""
        n = len(self.theta_symbols)
        J = self.jacobian
        return J[:n, :n], J[n:, n:]

    def values(self, theta: np.ndarray, phi: np.ndarray) -> dict:
        """Substitution dict {symbol: value} from full-shaped arrays."""
        out = {}
        for M, arr, mask in ((self.theta, theta, self.theta_mask), (self.phi, phi, self.phi_mask)):
            for i, j in zip(*np.nonzero(mask)):
                out[M[i, j]] = arr[i, j]
        return out

    def subs(self, values: Mapping) -> "SymbolicGame":
        """The game with some constants replaced (e.g. {alpha: 0})."""
        vals = dict(values)
        return SymbolicGame(self.name, self.theta, self.phi, self.theta_mask, self.phi_mask,
                            self.L_p.subs(vals), self.L_q.subs(vals),
                            tuple(c for c in self.constants if c not in vals), self.spec)


class NumericGame:
    """Lambdified utilities, pseudo-gradient, Jacobian of a ``SymbolicGame`` (flat vectors).

    Each method takes the flat parameter vector and, when the game has free constants, their
    values in the order of ``game.constants``.
    """

    def __init__(self, game: SymbolicGame, jacobian: bool = True):
        args = list(game.symbols) + list(game.constants)
        lam = lambda e: sp.lambdify(args, e, modules="numpy", cse=True)
        self.game = game
        self._u: Callable = lam(sp.Matrix([game.L_p, game.L_q]))
        self._g: Callable = lam(game.gradient)
        self._j: Callable | None = lam(game.jacobian) if jacobian else None

    def _call(self, fn, vec, consts):
        vec = np.asarray(vec, dtype=float)
        return np.asarray(fn(*vec, *consts), dtype=float)

    def utilities(self, vec, *consts) -> np.ndarray:
        return self._call(self._u, vec, consts).reshape(2)

    def gradient(self, vec, *consts) -> np.ndarray:
        return self._call(self._g, vec, consts).reshape(-1)

    def jacobian(self, vec, *consts) -> np.ndarray:
        if self._j is None:
            raise ValueError("jacobian: lambdified without the Jacobian (NumericGame(game, jacobian=True))")
        n = len(self.game.symbols)
        return self._call(self._j, vec, consts).reshape(n, n)


def lambdify_game(game: SymbolicGame, jacobian: bool = True) -> NumericGame:
    """Plain-float callables for a symbolic game (see ``NumericGame``)."""
    return NumericGame(game, jacobian)
