"""Symbolic tabular pairs: Categorical(NX) decoder, Categorical(NZ) encoder, one-hot lifts.

theta in R^((NX-1) x NZ): column j is the natural parameter of p(.|z_j) (class 0 the reference),
phi in R^((NZ-1) x NX) likewise for q(.|x_i). No bias column, so rho/2 |theta|^2 penalises all.
Given a joint table P (NX x NZ) with marginals pi(x) = P 1, pi(z) = P^T 1:

    L_p = (1-alpha) sum_{x,z} pi(x) q(z|x) log p(x|z) + alpha sum P(x,z) log p(x|z) - rho/2 |theta|^2
    L_q = (1-alpha) sum_{x,z} pi(z) p(x|z) log q(z|x) + alpha sum P(x,z) log q(z|x) - rho/2 |phi|^2

``conditional_parameters`` maps conditional tables (e.g. those of a coupling) to natural
parameters: theta[x-1, z] = log p(x|z) - log p(0|z).
"""
from __future__ import annotations

from typing import Sequence

import numpy as np
import sympy as sp

from .core import SymbolicGame, parameter_matrix
from .families import categorical_logpdf

__all__ = ["tabular_game", "conditional_parameters", "coupling_parameters"]


def tabular_game(joint: Sequence[Sequence], alpha=0, rho=0) -> SymbolicGame:
    """The symbolic tabular pair for an NX x NZ joint table (numbers or symbols)."""
    P = sp.Matrix(joint)
    nx, nz = P.shape
    if nx < 2 or nz < 2:
        raise ValueError("joint: expected at least a 2 x 2 table")
    alpha, rho = sp.sympify(alpha), sp.sympify(rho)
    pix = [sum(P[i, :]) for i in range(nx)]
    piz = [sum(P[:, j]) for j in range(nz)]
    tmask, pmask = np.ones((nx - 1, nz), bool), np.ones((nz - 1, nx), bool)
    theta, phi = parameter_matrix("theta", tmask), parameter_matrix("phi", pmask)
    logp = {(i, j): categorical_logpdf(i, list(theta[:, j])) for i in range(nx) for j in range(nz)}
    logq = {(i, j): categorical_logpdf(j, list(phi[:, i])) for i in range(nx) for j in range(nz)}
    mp = {key: (1 - alpha) * pix[key[0]] * sp.exp(logq[key]) + alpha * P[key] for key in logq}
    mq = {key: (1 - alpha) * piz[key[1]] * sp.exp(logp[key]) + alpha * P[key] for key in logp}
    Lp = sum(mp[key] * logp[key] for key in logp) - rho / 2 * sum(v ** 2 for v in theta)
    Lq = sum(mq[key] * logq[key] for key in logq) - rho / 2 * sum(v ** 2 for v in phi)
    consts = set(P.free_symbols) | alpha.free_symbols | rho.free_symbols
    spec = dict(kind="tabular", joint=P, alpha=alpha, rho=rho)
    return SymbolicGame(f"tabular({nx}x{nz})", theta, phi, tmask, pmask, Lp, Lq,
                        tuple(sorted(consts, key=str)), spec)


def conditional_parameters(p_x_given_z, q_z_given_x) -> tuple[np.ndarray, np.ndarray]:
    """Natural parameters of conditional tables p[x, z] = p(x|z) (columns sum to 1) and
    q[x, z] = q(z|x) (rows sum to 1): theta[x-1, z] = log p(x|z)/p(0|z), phi[z-1, x] = log q(z|x)/q(0|x)."""
    p = np.asarray(p_x_given_z, float)
    q = np.asarray(q_z_given_x, float)
    return np.log(p[1:, :]) - np.log(p[:1, :]), (np.log(q[:, 1:]) - np.log(q[:, :1])).T


def coupling_parameters(coupling) -> tuple[np.ndarray, np.ndarray]:
    """Natural parameters of p(x|z) = C(x,z)/C(.,z) and q(z|x) = C(x,z)/C(x,.) for a full-support
    coupling C: the points of the alpha = 0 equilibrium set (proofs/tabular.md)."""
    C = np.asarray(coupling, float)
    return conditional_parameters(C / C.sum(0, keepdims=True), C / C.sum(1, keepdims=True))
