"""The families' log-densities log p(y) = log h(y) + <T(y), eta> - A(eta), written in sympy.

Conventions match ``expfam_nash.families``:

* Bernoulli(d): T(y) = y, A(eta) = sum_a log(1 + e^eta_a), h = 1.
* Categorical(K): T(y) = one-hot of y without class 0, A(eta) = log(1 + sum_c e^eta_c), h = 1.
* Gaussian, fixed variance s: T(y) = y / s, A(eta) = |eta|^2 / (2 s),
  log h(y) = -|y|^2 / (2 s) - (d/2) log(2 pi s)   (eta is the mean).
* Gaussian, learned diagonal variance: T(y) = (y, y^2), eta = (eta1, eta2), eta2 < 0,
  A(eta) = sum_a [-eta1_a^2 / (4 eta2_a) - log(-2 eta2_a) / 2] + (d/2) log(2 pi), h = 1.
"""
from __future__ import annotations

from typing import Sequence

import sympy as sp

__all__ = ["bernoulli_A", "categorical_A", "gaussian_fixed_A", "gaussian_learned_A",
           "bernoulli_logpdf", "categorical_logpdf", "gaussian_fixed_logpdf", "gaussian_learned_logpdf",
           "mean_map", "covariance_map"]


def bernoulli_A(eta: Sequence) -> sp.Expr:
    return sum(sp.log(1 + sp.exp(e)) for e in eta)


def categorical_A(eta: Sequence) -> sp.Expr:
    return sp.log(1 + sum(sp.exp(e) for e in eta))


def gaussian_fixed_A(eta: Sequence, s) -> sp.Expr:
    return sum(e ** 2 for e in eta) / (2 * s)


def gaussian_learned_A(eta: Sequence) -> sp.Expr:
    d = len(eta) // 2
    e1, e2 = eta[:d], eta[d:]
    return sum(-a ** 2 / (4 * b) - sp.log(-2 * b) / 2 for a, b in zip(e1, e2)) + sp.Rational(d, 2) * sp.log(2 * sp.pi)


def bernoulli_logpdf(y: Sequence, eta: Sequence) -> sp.Expr:
    return sum(a * e for a, e in zip(y, eta)) - bernoulli_A(eta)


def categorical_logpdf(y: int, eta: Sequence) -> sp.Expr:
    """y is a class index 0..K-1 (class 0 is the reference)."""
    return (eta[y - 1] if y > 0 else 0) - categorical_A(eta)


def gaussian_fixed_logpdf(y: Sequence, eta: Sequence, s) -> sp.Expr:
    d = len(y)
    logh = -sum(a ** 2 for a in y) / (2 * s) - sp.Rational(d, 2) * sp.log(2 * sp.pi * s)
    return logh + sum(a * e for a, e in zip(y, eta)) / s - gaussian_fixed_A(eta, s)


def gaussian_learned_logpdf(y: Sequence, eta: Sequence) -> sp.Expr:
    T = list(y) + [a ** 2 for a in y]
    return sum(a * e for a, e in zip(T, eta)) - gaussian_learned_A(eta)


def mean_map(A: sp.Expr, eta: Sequence) -> sp.Matrix:
    """mu(eta) = grad A."""
    return sp.Matrix([sp.diff(A, e) for e in eta])


def covariance_map(A: sp.Expr, eta: Sequence) -> sp.Matrix:
    """Cov(T) = Hessian of A."""
    return sp.hessian(A, list(eta))
