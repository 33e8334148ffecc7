"""Lifts: fixed feature maps psi(u) of the conditioning variable.

A lifted conditional has natural parameter eta(u) = theta psi(u); all non-linearity sits in
psi, so each player's utility is concave in theta. Every lift reports ``bias_index``, the
column of its constant feature (or None). The game's L2 penalty rho/2 |theta|^2 is applied to
the weights of the *non-constant* features only: the bias column is never penalised.
(One-hot and user tables have no separate constant column, so all their weights are penalised.)
"""
from __future__ import annotations

import math
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from functools import cached_property
from itertools import combinations, combinations_with_replacement

import numpy as np

from ..core.arrays import row_keys
from ..core.registry import Arg
from ..core.validation import as_float_array, as_rng, check_int, check_memory, check_positive
from .registry import LIFTS

#: the most features (and input dimensions) a lift agrees to build: a player's parameter has
#: stat_dim x n_features entries, and its Jacobian block their square
MAX_FEATURES = 2 ** 16


class Lift(ABC):
    #: dimension of the input variable u
    input_dim: int
    #: number of features k
    n_features: int
    #: column of the constant feature, or None
    bias_index: int | None
    name: str
    #: True when psi(u) = (u, 1): the variable itself, then a constant column (the linear-Gaussian
    #: engine and the rotation symmetries need this form)
    affine: bool = False

    @abstractmethod
    def _features(self, u: np.ndarray) -> np.ndarray: ...

    def __call__(self, u) -> np.ndarray:
        """psi(u) for a batch u of shape (N, input_dim); returns (N, n_features)."""
        u = as_float_array(u, "u")
        if u.ndim == 1:
            u = u[:, None] if self.input_dim == 1 else u[None, :]
        if u.ndim != 2 or u.shape[1] != self.input_dim:
            raise ValueError(f"u: {self.name} expects shape (N, {self.input_dim}), got {u.shape}")
        return np.ascontiguousarray(self._features(u))

    def __repr__(self) -> str:
        return self.name


@LIFTS.register("affine", args=(Arg("input_dim", int, 1, "dimension of u"),), help="psi(u) = (u, 1)")
@dataclass(frozen=True, repr=False)
class Affine(Lift):
    """psi(u) = (u, 1)."""

    input_dim: int
    affine = True

    def __post_init__(self):
        check_int(self.input_dim, "input_dim", maximum=MAX_FEATURES)

    n_features = property(lambda self: self.input_dim + 1)
    bias_index = property(lambda self: self.input_dim)
    name = property(lambda self: f"Affine({self.input_dim})")

    def _features(self, u):
        return np.concatenate([u, np.ones((u.shape[0], 1))], axis=1)


@dataclass(frozen=True, repr=False, eq=False)
class _TableLift(Lift):
    """A lift given by its values on a finite support (one row per support point)."""

    support: np.ndarray
    table: np.ndarray
    _order: np.ndarray = field(default=None, compare=False)
    _sorted_keys: np.ndarray = field(default=None, compare=False)

    def __post_init__(self):
        sup = as_float_array(self.support, "support", ndim=2)
        tab = as_float_array(self.table, "features", ndim=2)
        if tab.shape[0] != sup.shape[0]:
            raise ValueError(f"features: expected one row per support point ({sup.shape[0]}), got {tab.shape[0]}")
        keys = row_keys(sup)
        order = np.argsort(keys, kind="stable")
        if np.any(keys[order][1:] == keys[order][:-1]):
            raise ValueError("support: points must be distinct")
        object.__setattr__(self, "support", sup)
        object.__setattr__(self, "table", tab)
        object.__setattr__(self, "_order", order)
        object.__setattr__(self, "_sorted_keys", keys[order])

    input_dim = property(lambda self: self.support.shape[1])
    n_features = property(lambda self: self.table.shape[1])

    def indices(self, u: np.ndarray) -> np.ndarray:
        """Row of the support holding each point of ``u`` (binary search over the sorted keys)."""
        keys = row_keys(u)
        pos = np.minimum(np.searchsorted(self._sorted_keys, keys), self._sorted_keys.size - 1)
        found = self._sorted_keys[pos] == keys
        if not found.all():
            bad = int(np.nonzero(~found)[0][0])
            raise ValueError(f"u: point {u[bad].tolist()} is not in the lift's support")
        return self._order[pos]

    def _features(self, u):
        return self.table[self.indices(u)]


@LIFTS.register("onehot", args=(Arg("support", None, None, "the finite support of u", cli=False),),
                help="psi(u) = e_index(u) on a finite support: a tabular conditional")
class OneHot(_TableLift):
    """psi(u) = e_{index(u)} on a finite support: a tabular conditional (any one is reachable)."""

    def __init__(self, support):
        sup = as_float_array(support, "support")
        sup = sup[:, None] if sup.ndim == 1 else sup
        check_memory((sup.shape[0], sup.shape[0]), "support", f"the one-hot table of {sup.shape[0]} points")
        super().__init__(sup, np.eye(sup.shape[0]))

    bias_index = None
    name = property(lambda self: f"OneHot({self.support.shape[0]})")


@LIFTS.register("features", args=(Arg("support", None, None, "the finite support of u", cli=False),
                                  Arg("features", None, None, "one row of features per support point", cli=False),
                                  Arg("bias", bool, False, "append a constant column")),
                help="user-supplied feature table on a finite support")
class Features(_TableLift):
    """User-supplied features on a finite support; ``bias=True`` appends a constant column.

    A column that is identically 1 is recognised as the bias column.
    """

    def __init__(self, support, features, bias: bool = False):
        sup = as_float_array(support, "support")
        sup = sup[:, None] if sup.ndim == 1 else sup
        tab = as_float_array(features, "features", ndim=2)
        if bias:
            tab = np.concatenate([tab, np.ones((tab.shape[0], 1))], axis=1)
        super().__init__(sup, tab)
        ones = np.nonzero(np.all(self.table == 1.0, axis=0))[0]
        object.__setattr__(self, "_bias", int(ones[-1]) if ones.size else None)

    bias_index = property(lambda self: self._bias)
    name = property(lambda self: f"Features({self.support.shape[0]}x{self.table.shape[1]})")


@LIFTS.register("polynomial", args=(Arg("input_dim", int, 1, "dimension of u"),
                                    Arg("degree", int, 2, "largest total degree"),
                                    Arg("multilinear", bool, False, "square-free monomials only")),
                help="all monomials of total degree <= degree, constant last")
@dataclass(frozen=True, repr=False)
class Polynomial(Lift):
    """All monomials of total degree <= ``degree`` (constant last).

    ``multilinear=True`` keeps only square-free monomials, the natural basis on {0,1}^d
    (there u_c^2 = u_c, so the full basis would repeat columns).
    """

    input_dim: int
    degree: int = 2
    multilinear: bool = False

    def __post_init__(self):
        check_int(self.input_dim, "input_dim", maximum=MAX_FEATURES)
        check_int(self.degree, "degree", maximum=MAX_FEATURES)
        if not isinstance(self.multilinear, (bool, np.bool_)):
            raise ValueError(f"multilinear: expected True or False, got {self.multilinear!r}")
        count = self.monomial_count(self.input_dim, self.degree, bool(self.multilinear))
        if count + 1 > MAX_FEATURES:
            raise ValueError(f"degree: {count} monomials of degree <= {self.degree} in {self.input_dim} variables "
                             f"are too many features (limit {MAX_FEATURES})")

    @staticmethod
    def monomial_count(n: int, degree: int, multilinear: bool) -> int:
        """Non-constant monomials of total degree <= degree in n variables (counted, not listed):
        C(n + degree, degree) - 1, or sum_{e=1..degree} C(n, e) when square-free."""
        if multilinear:
            return sum(math.comb(n, e) for e in range(1, min(degree, n) + 1))
        return math.comb(n + degree, degree) - 1

    @cached_property
    def monomials(self) -> list[tuple[int, ...]]:
        pick = combinations if self.multilinear else combinations_with_replacement
        out: list[tuple[int, ...]] = []
        for deg in range(1, self.degree + 1):
            out.extend(pick(range(self.input_dim), deg))
        return out

    n_features = property(lambda self: self.monomial_count(self.input_dim, self.degree, bool(self.multilinear)) + 1)
    bias_index = property(lambda self: self.n_features - 1)
    name = property(lambda self: f"Polynomial({self.input_dim}, degree={self.degree}"
                    + (", multilinear)" if self.multilinear else ")"))

    def _features(self, u):
        cols = [np.prod(u[:, list(m)], axis=1) for m in self.monomials]
        return np.column_stack(cols + [np.ones(u.shape[0])])


@LIFTS.register("fourier", args=(Arg("input_dim", int, 1, "dimension of u"), Arg("count", int, 32, "features"),
                                 Arg("scale", float, 1.0, "length scale"), Arg("seed", int, 0, "random seed")),
                help="random Fourier features sqrt(2/count) cos(W u / scale + b), constant last")
@dataclass(frozen=True, repr=False, eq=False)
class Fourier(Lift):
    """Random Fourier features sqrt(2/count) cos(W u / scale + b), W ~ N(0, I), b ~ U[0, 2 pi),
    plus a constant last column. Reproducible from ``seed``."""

    input_dim: int
    count: int = 32
    scale: float = 1.0
    seed: int = 0
    _w: np.ndarray = field(default=None, compare=False)
    _b: np.ndarray = field(default=None, compare=False)

    def __post_init__(self):
        check_int(self.input_dim, "input_dim", maximum=MAX_FEATURES)
        check_int(self.count, "count", maximum=MAX_FEATURES)
        check_memory(self.input_dim * self.count, "count", "the random projection W (input_dim x count)")
        object.__setattr__(self, "scale", check_positive(self.scale, "scale"))
        rng = as_rng(self.seed)
        object.__setattr__(self, "_w", rng.standard_normal((self.input_dim, self.count)) / self.scale)
        object.__setattr__(self, "_b", rng.uniform(0.0, 2 * np.pi, self.count))

    n_features = property(lambda self: self.count + 1)
    bias_index = property(lambda self: self.count)
    name = property(lambda self: f"Fourier({self.input_dim}, count={self.count}, scale={self.scale:g}, seed={self.seed})")

    def _features(self, u):
        f = np.sqrt(2.0 / self.count) * np.cos(u @ self._w + self._b)
        return np.concatenate([f, np.ones((u.shape[0], 1))], axis=1)
