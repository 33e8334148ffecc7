"""The KL and responsibility terms of the objectives, as calls of the fused kernels.

KL(u) = KL(q(.|u) || P) by Monte Carlo with M reparametrised samples per row (the reference's
estimator for every prior, N(0, I) included; :func:`expfam_nash.introvae.kernels.mixture_mc_kl`).

Responsibility regularisation: rbar_k = mean over the real batch's KL samples of r_k(z) (the
reference draws a second set of M samples per point for it; here the KL's samples serve both,
an estimator of the same expectation), and

    NegEnt = sum_k rbar_k log(rbar_k + 1e-8) / log K      (not divided when log K <= 1, as the reference)
    dNegEnt / drbar_k = (log(rbar_k + 1e-8) + rbar_k / (rbar_k + 1e-8)) / log K.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import kernels as KK
from .priors import PriorView


@dataclass(frozen=True)
class KLTerm:
    """KL values per row; dKL_i/d(mu_i, lv_i) (unweighted) when asked; the weighted prior
    gradient sum_i w_i dKL_i/d(means, lv', log w) when asked; rbar when asked."""

    kl: np.ndarray
    g_mu: np.ndarray | None = None
    g_lv: np.ndarray | None = None
    g_means: np.ndarray | None = None
    g_logvars: np.ndarray | None = None
    g_logw: np.ndarray | None = None
    rbar: np.ndarray | None = None


def mc_kl(mu: np.ndarray, lv: np.ndarray, eps: np.ndarray, pv: PriorView, *, q_grad: bool = True,
          prior_weights: np.ndarray | None = None, want_rbar: bool = False, lv_floor: float = -np.inf) -> KLTerm:
    """The Monte Carlo KL of N(mu_i, exp(lv_i)) against the prior, eps of shape (B or 1, M, d)."""
    B, d = mu.shape
    K = pv.n_components
    kl = np.empty(B)
    g_mu, g_lv = np.empty((B, d)), np.empty((B, d))
    g_mu_T, g_lv_T, g_logw, rbar = np.empty((d, K)), np.empty((d, K)), np.empty(K), np.empty(K)
    pg = prior_weights is not None
    w = np.asarray(prior_weights, np.float64) if pg else np.zeros(B)
    KK.mixture_mc_kl(np.ascontiguousarray(mu), np.ascontiguousarray(lv), eps, lv_floor, *pv.tables, w, q_grad, pg,
                     want_rbar, kl, g_mu, g_lv, g_mu_T, g_lv_T, g_logw, rbar)
    return KLTerm(kl, g_mu if q_grad else None, g_lv if q_grad else None, g_mu_T.T if pg else None,
                  g_lv_T.T if pg else None, g_logw if pg else None, rbar if want_rbar else None)


def neg_entropy(rbar: np.ndarray) -> tuple[float, np.ndarray]:
    """(NegEnt, dNegEnt/drbar) of the module docstring."""
    K = rbar.size
    norm = np.log(K) if np.log(K) > 1 else 1.0
    log_r = np.log(rbar + 1e-8)
    return float(np.sum(rbar * log_r) / norm), (log_r + rbar / (rbar + 1e-8)) / norm


def responsibility_grad(mu: np.ndarray, lv: np.ndarray, eps: np.ndarray, pv: PriorView, c: np.ndarray,
                        g_mu: np.ndarray, g_lv: np.ndarray) -> None:
    """g_mu, g_lv += d/d(mu, lv) of sum_k c_k rbar_k (rbar over the samples mu + exp(lv/2) eps)."""
    KK.responsibility_grad(np.ascontiguousarray(mu), np.ascontiguousarray(lv), eps, *pv.tables,
                           np.asarray(c, np.float64), g_mu, g_lv)
