"""Symbolic Bernoulli pairs with affine lifts (small d, k).

Decoder p(x|z) = prod_a Bernoulli(x_a; sigma(eta_a)), eta = theta (z, 1), theta in R^(d x (k+1));
encoder q(z|x) likewise with e = phi (x, 1), phi in R^(k x (d+1)). X = {0,1}^d, Z = {0,1}^k,
enumerated in the order of ``families.binary_support`` (first coordinate most significant).

    L_p = (1-alpha) sum_i w_i sum_z q(z|x_i) log p(x_i|z) + alpha sum_{x,z} L(x,z) log p(x|z) - rho/2 |W|^2
    L_q = (1-alpha) sum_z pi(z) sum_{x in X} p(x|z) log q(z|x) + alpha sum_{x,z} L(x,z) log q(z|x) - rho/2 |V|^2

with W = theta[:, :-1], V = phi[:, :-1] (the bias column is not penalised). Data weights, prior
weights, the labelled table L (2^d x 2^k), alpha and rho may be numbers or sympy symbols.
"""
from __future__ import annotations

import itertools
from typing import Sequence

import numpy as np
import sympy as sp

from ..core.registry import renamed
from .core import SymbolicGame, parameter_matrix
from .families import bernoulli_logpdf

__all__ = ["binary_points", "bernoulli_game", "conditional_tables"]


def binary_points(n: int) -> list[tuple[int, ...]]:
    """{0,1}^n in ``binary_support`` order."""
    return list(itertools.product((0, 1), repeat=n))


def _free(values) -> tuple:
    out = set()
    for v in values:
        out |= set(sp.sympify(v).free_symbols)
    return tuple(sorted(out, key=str))


def conditional_tables(theta: sp.Matrix, phi: sp.Matrix, d: int, k: int):
    """(log p(x|z) as dict[(x, z)], q(z|x) as dict[(x, z)], log q(z|x) as dict) over X x Z."""
    X, Z = binary_points(d), binary_points(k)
    logp, logq = {}, {}
    for z in Z:
        eta = list(theta * sp.Matrix(list(z) + [1]))
        for x in X:
            logp[x, z] = bernoulli_logpdf(x, eta)
    for x in X:
        e = list(phi * sp.Matrix(list(x) + [1]))
        for z in Z:
            logq[x, z] = bernoulli_logpdf(z, e)
    q = {key: sp.exp(v) for key, v in logq.items()}
    return logp, q, logq


@renamed(labeled="labelled")
def bernoulli_game(data: Sequence[Sequence[int]], data_weights: Sequence | None = None, latent_dim: int = 1,
                   prior_weights: Sequence | None = None, alpha=0, labelled=None, rho=0) -> SymbolicGame:
    """The symbolic Bernoulli pair (module docstring); d = len(data[0]) <= 2 and k <= 2 advised."""
    pts = [tuple(int(v) for v in p) for p in data]
    d, k = len(pts[0]), int(latent_dim)
    w = [sp.Rational(1, len(pts))] * len(pts) if data_weights is None else [sp.sympify(v) for v in data_weights]
    X, Z = binary_points(d), binary_points(k)
    pz = [sp.Rational(1, 2 ** k)] * 2 ** k if prior_weights is None else [sp.sympify(v) for v in prior_weights]
    if len(pz) != len(Z) or len(w) != len(pts):
        raise ValueError("prior_weights: expected 2^k entries; data_weights: one per data point")
    alpha, rho = sp.sympify(alpha), sp.sympify(rho)
    theta = parameter_matrix("theta", np.ones((d, k + 1), bool))
    phi = parameter_matrix("phi", np.ones((k, d + 1), bool))
    logp, q, logq = conditional_tables(theta, phi, d, k)
    p = {key: sp.exp(v) for key, v in logp.items()}
    Lp = sum(wi * q[x, z] * logp[x, z] for x, wi in zip(pts, w) for z in Z)
    Lq = sum(pj * p[x, z] * logq[x, z] for z, pj in zip(Z, pz) for x in X)
    lab_vals = []
    if labelled is not None:
        tab = [[sp.sympify(v) for v in row] for row in labelled]
        if len(tab) != len(X) or any(len(r) != len(Z) for r in tab):
            raise ValueError("labelled: expected a 2^d x 2^k table over (X, Z) in binary_support order")
        lab_vals = [v for r in tab for v in r]
        Lab_p = sum(tab[i][j] * logp[x, z] for i, x in enumerate(X) for j, z in enumerate(Z))
        Lab_q = sum(tab[i][j] * logq[x, z] for i, x in enumerate(X) for j, z in enumerate(Z))
        Lp, Lq = (1 - alpha) * Lp + alpha * Lab_p, (1 - alpha) * Lq + alpha * Lab_q
    elif alpha != 0:
        raise ValueError("alpha: a labelled weight needs a labelled table")
    Lp -= rho / 2 * sum(v ** 2 for v in theta[:, :k])
    Lq -= rho / 2 * sum(v ** 2 for v in phi[:, :d])
    spec = dict(kind="bernoulli", data=pts, data_weights=w, latent_dim=k, prior_weights=pz, alpha=alpha,
                labelled=None if labelled is None else [[sp.sympify(v) for v in r] for r in labelled], rho=rho)
    return SymbolicGame(f"bernoulli(d={d}, k={k})", theta, phi, np.ones((d, k + 1), bool),
                        np.ones((k, d + 1), bool), Lp, Lq, _free(w + pz + lab_vals + [alpha, rho]), spec)
