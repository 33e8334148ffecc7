"""Closed-form global minimisers per mode (NumPy), as derived in ``proofs/collapse_vae.md``,
``proofs/collapse_cvae.md`` and ``proofs/collapse_hvae.md`` and by the symbolic layer
(``expfam_nash.symbolic.collapse_modes``, which the tests compare with these functions).

VAE on eigenvalues lam_1 >= lam_2 >= ... of A (padded with zeros), mode j <= d, t = s_j^2 with
s_j the singular value of U:

    Sigma learned:  t = max(0, lam - beta eta_dec^2) / eta_enc^2,  std = eta_enc eta_dec sqrt(beta / lam)
                    (active), eta_enc (collapsed); per-mode loss beta (1 + log(lam / (beta eta_dec^2)))
                    or lam / eta_dec^2; threshold beta eta_dec^2.
    Sigma = v I:    t = max(0, eta_dec sqrt(beta lam / v) / eta_enc - beta eta_dec^2 / eta_enc^2);
                    threshold beta eta_dec^2 v / eta_enc^2; loss 2 sqrt(v beta lam) / (eta_enc eta_dec)
                    - beta v / eta_enc^2 (active) plus beta d (v / eta_enc^2 - log(v / eta_enc^2) - 1).

CVAE: the VAE on the eigenvalues of E = Cyy - Cyx Cxx^+ Cxy.

HVAE: level-1 mode j <= d1 with lam_j; mu_j = s_j^2 + sigma1^2 (s_j: singular value of W1 A^(1/2)) is
the eigenvalue of C1 = E[z1 z1^T]; level 2 is the VAE with beta2 / beta1 on mu (top min(d1, d2) modes).
With a = beta1 sigma1^2, b = beta2 eta_dec^2, beta' = beta2 / beta1:

    Sigma2 learned: kappa = beta' eta_dec^2; mu = max(sigma1^2, mu_r), mu_r = sigma1 sqrt(lam / beta1) if
                    lam <= b^2 / a else lam sigma1^2 / b; level 1 active iff lam > min(a, b); level 2
                    active iff a > b or lam > b^2 / a.
    Sigma2 = s2^2 I: kappa = beta' eta_dec^2 s2^2 / eta_enc^2, gamma = beta1 sqrt(kappa); mu_r = sigma1
                    sqrt(lam / beta1) if lam sigma1^2 <= beta1 kappa^2 else (lam sigma1^2 / gamma)^(2/3);
                    level 1 active iff lam > beta1 sigma1 min(sigma1, sqrt(kappa)); level 2 active iff
                    sigma1^2 > kappa or lam > beta1 kappa^2 / sigma1^2.
    Level-1 modes without a level-2 latent (j > d2): mu = max(sigma1^2, sigma1 sqrt(lam / beta1)).
"""
from __future__ import annotations

import numpy as np

from .solution import Theory

__all__ = ["THRESHOLD_RTOL", "vae_theory", "hvae_theory"]

#: eigenvalues within THRESHOLD_RTOL * max(largest eigenvalue, threshold) of a threshold are undecided
THRESHOLD_RTOL = 1e-9


def _pad(values: np.ndarray, n: int) -> np.ndarray:
    out = np.zeros(max(n, values.size))
    out[:values.size] = values
    return out


def _safe_div(a, b):
    a, b = np.broadcast_arrays(np.asarray(a, float), np.asarray(b, float))
    return np.divide(a, b, out=np.zeros_like(a), where=b > 0)


def _tolerance(eigenvalues: np.ndarray, thresholds: np.ndarray) -> float:
    finite = thresholds[np.isfinite(thresholds)]
    return THRESHOLD_RTOL * max(float(eigenvalues.max(initial=0.0)), float(finite.max(initial=0.0)))


def vae_modes(lam: np.ndarray, beta: float, eta_enc: float, eta_dec: float, encoder_var: float | None):
    """Per-mode (t = s^2, std, encoder singular value, loss, threshold) of the VAE on eigenvalues lam."""
    ed2, ee2 = eta_dec ** 2, eta_enc ** 2
    c = beta * ed2 / ee2
    if encoder_var is None:
        thr = beta * ed2
        active = lam > thr
        t = np.where(active, (lam - thr) / ee2, 0.0)
        std = np.where(active, np.sqrt(_safe_div(beta * ed2 * ee2, lam)), eta_enc)
        loss = np.where(active, beta * (1.0 + np.log(np.where(active, lam, thr) / thr)), lam / ed2)
    else:
        v = encoder_var
        thr = beta * ed2 * v / ee2
        active = lam > thr
        t = np.where(active, np.maximum(eta_dec * np.sqrt(beta * lam / v) / eta_enc - c, 0.0), 0.0)
        std = np.full(lam.shape, np.sqrt(v))
        loss = np.where(active, 2.0 * np.sqrt(v * beta * lam) / (eta_enc * eta_dec) - beta * v / ee2, lam / ed2)
    enc = np.sqrt(t) / (t + c)
    return t, std, enc, loss, np.full(lam.shape, thr)


def vae_theory(eigenvalues, latent_dim: int, beta: float, eta_enc: float, eta_dec: float,
               encoder_var: float | None = None) -> Theory:
    """Closed-form global minimum of the linear VAE (or of the CVAE, given the eigenvalues of E)."""
    lam_all = _pad(np.asarray(eigenvalues, float), latent_dim)
    lam, rest = lam_all[:latent_dim], lam_all[latent_dim:]
    t, std, enc, loss, thr = vae_modes(lam, beta, eta_enc, eta_dec, encoder_var)
    total = float(loss.sum() + rest.sum() / eta_dec ** 2)
    if encoder_var is not None:
        r = encoder_var / eta_enc ** 2
        total += beta * latent_dim * (r - np.log(r) - 1.0)
    return Theory("theory", np.sqrt(t), enc, std, ~(lam > thr), total, eigenvalues=lam, thresholds=thr,
                  tolerance=_tolerance(lam_all, thr))


def _hvae_mu(lam, covered, beta1, beta2, eta_enc, eta_dec, sigma1, sigma2):
    """(mu = eigenvalue of C1 per level-1 mode, level-1 threshold, level-2 threshold, kappa)."""
    s1sq, ed2, bp = sigma1 ** 2, eta_dec ** 2, beta2 / beta1
    a = beta1 * s1sq
    if sigma2 is None:
        kappa, b = bp * ed2, beta2 * ed2
        low = lam <= b * b / a
        mu_r = np.where(low, sigma1 * np.sqrt(lam / beta1), lam * s1sq / b)
        thr1 = min(a, b)
        thr2 = b * b / a if a <= b else -np.inf
    else:
        kappa = bp * ed2 * sigma2 ** 2 / eta_enc ** 2
        gamma = beta1 * np.sqrt(kappa)
        low = lam * s1sq <= beta1 * kappa ** 2
        mu_r = np.where(low, sigma1 * np.sqrt(lam / beta1), np.cbrt(lam * s1sq / gamma) ** 2)
        thr1 = beta1 * sigma1 * min(sigma1, np.sqrt(kappa))
        thr2 = beta1 * kappa ** 2 / s1sq if s1sq <= kappa else -np.inf
    mu_r = np.where(covered, mu_r, sigma1 * np.sqrt(lam / beta1))
    thr1 = np.where(covered, thr1, a)
    return np.maximum(s1sq, mu_r), thr1, thr2, kappa


def hvae_theory(eigenvalues, latent_dims: tuple[int, int], beta1: float, beta2: float, eta_enc: float,
                eta_dec: float, sigma1: float, sigma2: float | None = None) -> Theory:
    """Closed-form global minimum of the two-level linear HVAE (``sigma2`` None: Sigma2 learned)."""
    d1, d2 = latent_dims
    lam_all = _pad(np.asarray(eigenvalues, float), d1)
    lam, rest = lam_all[:d1], lam_all[d1:]
    covered = np.arange(d1) < d2
    mu, thr1, thr2, kappa = _hvae_mu(lam, covered, beta1, beta2, eta_enc, eta_dec, sigma1, sigma2)
    s1sq, ed2 = sigma1 ** 2, eta_dec ** 2
    active1 = lam > thr1
    t1 = np.where(active1, np.maximum(mu - s1sq, 0.0), 0.0)
    mu = s1sq + t1
    # level 2: the VAE with beta' = beta2 / beta1 on the eigenvalues mu of C1 (top min(d1, d2) modes)
    m = min(d1, d2)
    mu2 = np.zeros(d2)
    mu2[:m] = mu[:m]
    t2, std2, enc2, phi, _ = vae_modes(mu2, beta2 / beta1, eta_enc, eta_dec, sigma2 if sigma2 is None else sigma2 ** 2)
    thresholds2 = np.full(d2, np.inf)
    thresholds2[:m] = thr2
    active2 = np.zeros(d2, bool)
    active2[:m] = lam[:m] > thr2
    t2 = np.where(active2, t2, 0.0)
    enc2 = np.where(active2, enc2, 0.0)
    if sigma2 is None:
        std2 = np.where(active2, std2, eta_enc)
    level2 = np.where(covered, np.concatenate([phi[:m], np.zeros(d1 - m)]), mu / ed2)
    loss = float(np.sum(lam * s1sq / (mu * ed2)) + beta1 * level2.sum() + rest.sum() / ed2)
    if sigma2 is not None:
        r = sigma2 ** 2 / eta_enc ** 2
        loss += beta2 * d2 * (r - np.log(r) - 1.0)
    dec = (np.sqrt(lam * t1) / mu, np.sqrt(t2))
    enc = (np.sqrt(_safe_div(t1, lam)), enc2)
    tol = _tolerance(lam_all, np.concatenate([thr1, thresholds2]))
    undecided, why = _level2_switch(lam[:m], d1, d2, beta1, s1sq, kappa, thr2, tol)
    return Theory("theory", dec, enc, std2, (~active1, ~active2), loss, eigenvalues=lam,
                  thresholds=(thr1, thresholds2), tolerance=tol, undecided=undecided, undecided_reason=why)


def _level2_switch(lam, d1: int, d2: int, beta1: float, s1sq: float, kappa: float, thr2: float, tol: float):
    """(per-level undecided masks or None, reason). Level 2 is active for every eigenvalue when
    sigma1^2 > kappa (a > b with Sigma2 learned) and has the finite threshold thr2 otherwise: the
    switch is discontinuous, so where sigma1^2 and kappa agree within round-off (relative
    THRESHOLD_RTOL) a level-2 mode below thr2 + tol is collapsed on one side and active on the other.
    Its level-2 eigenvalue mu = sigma1^2 then sits on the level-2 threshold kappa: flat to fourth order."""
    if abs(s1sq - kappa) > THRESHOLD_RTOL * max(s1sq, kappa) or lam.size == 0:
        return None, ""
    level2 = np.zeros(d2, bool)
    level2[:lam.size] = lam <= (thr2 if np.isfinite(thr2) else beta1 * kappa ** 2 / s1sq) + tol
    if not level2.any():
        return None, ""
    return (np.zeros(d1, bool), level2), (
        f"sigma1^2 = {s1sq:.12g} and kappa = {kappa:.12g} agree within round-off (a = b): level 2 is collapsed "
        "if sigma1^2 <= kappa and active for every eigenvalue otherwise; floating point cannot tell which")
