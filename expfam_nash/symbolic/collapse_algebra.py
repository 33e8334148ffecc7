"""Trace polynomials of generic matrices, for matrix identities that hold in every dimension.

Matrices are sympy *noncommutative* symbols (``mat("U")``; its transpose ``mat("U").T`` is the
symbol ``U'``; symmetric matrices are their own transpose). A product is a word of letters;
sympy expands sums of products without reordering them. An identity between traces of such
polynomials holds for matrices of every (compatible) size when both sides reduce to the same
linear combination of words up to

    cyclic rotation        tr(X Y) = tr(Y X)
    transposition          tr(X) = tr(X^T)      (reverse the word, transpose every letter)

(equal canonical forms are a proof; different ones only mean "not shown"). Side conditions such
as "K solves (U'U + c) K = U'" enter as rewriting rules on sub-words (a rule replaces a word by a
shorter polynomial, so reduction terminates). Expectations of quadratic forms of random vectors
use E[a' M b] = tr(M E[b a']) with the moments supplied by the caller.
"""
from __future__ import annotations

from collections import defaultdict
from typing import Iterable, Mapping

import sympy as sp

__all__ = ["mat", "T", "word_terms", "TracePoly", "trace", "expectation", "matrix_reduce", "trace_equal",
           "matrix_equal"]

_SYMMETRIC: set[str] = set()


class _Mat(sp.Symbol):
    """A noncommutative matrix symbol with a transpose."""

    def __new__(cls, name: str, symmetric: bool = False):
        obj = super().__new__(cls, name, commutative=False)
        if symmetric:
            _SYMMETRIC.add(name)
        return obj

    @property
    def T(self):
        return _transpose_letter(self.name)


def mat(name: str, symmetric: bool = False) -> sp.Symbol:
    """A generic matrix (or vector) ``name``; ``symmetric``: equal to its transpose."""
    return _Mat(name, symmetric)


def _transpose_letter(name: str) -> sp.Symbol:
    if name in _SYMMETRIC:
        return _Mat(name)
    return _Mat(name[:-1]) if name.endswith("'") else _Mat(name + "'")


def word_terms(expr) -> list[tuple[sp.Expr, tuple[str, ...]]]:
    """(commutative coefficient, word of letters) for every term of the expanded expression."""
    out = []
    for term in sp.Add.make_args(sp.expand(sp.sympify(expr))):
        if term == 0:
            continue
        c, nc = term.args_cnc()
        letters: list[str] = []
        for f in nc:
            base, exp = (f.base, int(f.exp)) if isinstance(f, sp.Pow) else (f, 1)
            if exp < 1:
                raise ValueError(f"word_terms: negative power {f} (give inverses their own letter)")
            letters += [base.name] * exp
        out.append((sp.Mul(*c), tuple(letters)))
    return out


def T(expr):
    """Transpose of a noncommutative polynomial."""
    total = sp.Integer(0)
    for c, w in word_terms(expr):
        total += c * sp.Mul(*[_transpose_letter(n) for n in reversed(w)])
    return total


def _transpose_word(w: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(_transpose_letter(n).name for n in reversed(w))


Rules = Mapping[tuple[str, ...], Iterable[tuple[sp.Expr, tuple[str, ...]]]]


def _rewrite_once(w: tuple[str, ...], rules: Rules, cyclic: bool):
    """One rule application somewhere in w (in any rotation / the transpose when ``cyclic``), or None."""
    views = [w]
    if cyclic:
        views = [w[i:] + w[:i] for i in range(len(w))]
        views += [_transpose_word(v) for v in views]
    for v in views:
        for lhs, rhs in rules.items():
            n = len(lhs)
            for i in range(len(v) - n + 1):
                if v[i:i + n] == lhs:
                    return [(c, v[:i] + r + v[i + n:]) for c, r in rhs]
    return None


def _canonical(w: tuple[str, ...]) -> tuple[str, ...]:
    if not w:
        return w
    views = [w[i:] + w[:i] for i in range(len(w))]
    views += [_transpose_word(v) for v in views]
    return min(views)


class TracePoly:
    """sum_k c_k tr(word_k), kept reduced (rules) and canonical (cyclic + transpose)."""

    def __init__(self, terms: dict[tuple[str, ...], sp.Expr] | None = None):
        self.terms = {w: c for w, c in (terms or {}).items() if sp.simplify(c) != 0}

    @classmethod
    def from_words(cls, pairs, rules: Rules = None, cyclic: bool = True) -> "TracePoly":
        acc: dict = defaultdict(lambda: sp.Integer(0))
        stack = list(pairs)
        while stack:
            c, w = stack.pop()
            new = _rewrite_once(w, rules or {}, cyclic)
            if new is None:
                acc[_canonical(w) if cyclic else w] += c
            else:
                stack += [(c * c2, w2) for c2, w2 in new]
        return cls(dict(acc))

    def reduce(self, rules: Rules, cyclic: bool = True) -> "TracePoly":
        return TracePoly.from_words([(c, w) for w, c in self.terms.items()], rules, cyclic)

    def __add__(self, other: "TracePoly") -> "TracePoly":
        return TracePoly.from_words([(c, w) for w, c in self.terms.items()] + [(c, w) for w, c in other.terms.items()])

    def __sub__(self, other: "TracePoly") -> "TracePoly":
        return self + other.scale(-1)

    def scale(self, k) -> "TracePoly":
        return TracePoly({w: k * c for w, c in self.terms.items()})

    def __mul__(self, k) -> "TracePoly":
        return self.scale(sp.sympify(k))

    __rmul__ = __mul__

    def __neg__(self) -> "TracePoly":
        return self.scale(-1)

    def is_zero(self) -> bool:
        return not self.terms

    def __repr__(self) -> str:
        return " + ".join(f"({c}) tr({' '.join(w)})" for w, c in sorted(self.terms.items())) or "0"


def trace(expr, rules: Rules = None) -> TracePoly:
    """tr(expr) as a reduced, canonical trace polynomial."""
    return TracePoly.from_words(word_terms(expr), rules)


def expectation(expr, moments: Mapping[tuple[str, str], object], rules: Rules = None) -> TracePoly:
    """E[expr] for a scalar expr whose every term is a' M b (a, b random vectors; a' the transpose of
    a): E[a' M b] = tr(M E[b a']); ``moments[(b, a)]`` = E[b a'] (a matrix polynomial, or 0)."""
    pairs = []
    for c, w in word_terms(expr):
        first, last = w[0], w[-1]
        if not first.endswith("'") or (last, first[:-1]) not in moments:
            raise ValueError(f"expectation: term {w} is not of the form a' M b with known E[b a']")
        mom = moments[(last, first[:-1])]
        pairs += [(c * c2, w[1:-1] + w2) for c2, w2 in word_terms(mom)]
    return TracePoly.from_words(pairs, rules)


def matrix_reduce(expr, rules: Rules) -> dict[tuple[str, ...], sp.Expr]:
    """A matrix polynomial reduced by ``rules`` (no cyclic moves): {word: coefficient}."""
    return TracePoly.from_words(word_terms(expr), rules, cyclic=False).terms


def trace_equal(a: TracePoly, b: TracePoly, rules: Rules = None) -> bool:
    return (a - b).reduce(rules or {}).is_zero()


def matrix_equal(a, b, rules: Rules = None) -> bool:
    return not matrix_reduce(sp.expand(a - b), rules or {})
