"""Hypothesis strategies for the collapse tests: second moments with controlled spectra, and
hyper-parameters placed on, near or away from a collapse threshold."""
from __future__ import annotations

import os

import numpy as np
from hypothesis import strategies as st

THOROUGH = os.environ.get("EXPFAM_NASH_PROFILE", "ci") == "thorough"


def examples(ci: int, thorough: int = 200) -> int:
    """Example count for expensive property tests (the CI profile's 25 would exceed the time budget)."""
    return thorough if THOROUGH else ci


def rotated(eigenvalues, rng: np.random.Generator) -> np.ndarray:
    """Q diag(eigenvalues) Q' with Q a random orthogonal matrix."""
    lam = np.asarray(eigenvalues, float)
    Q, _ = np.linalg.qr(rng.standard_normal((lam.size, lam.size)))
    M = (Q * lam) @ Q.T
    return 0.5 * (M + M.T)


@st.composite
def spectra(draw, max_dim: int = 4, allow_zero: bool = True):
    """Eigenvalues (descending) spread over two decades, some exactly zero when allowed."""
    D = draw(st.integers(1, max_dim))
    lam = np.sort(np.array([draw(st.floats(0.05, 5.0)) for _ in range(D)]))[::-1]
    if allow_zero and D > 1:
        lam[draw(st.integers(1, D)):] = 0.0
    return lam


#: relative offsets of an eigenvalue from its threshold: on it, near it (both sides), away
OFFSETS = (0.0, 1e-6, -1e-6, 1e-3, -1e-3, None)


@st.composite
def vae_cases(draw, max_dim: int = 4, max_latent: int = 3):
    """(A, latent_dim, beta, eta_enc, eta_dec, encoder_var) with beta chosen so that one eigenvalue is
    on / near / away from the collapse threshold."""
    seed = draw(st.integers(0, 2 ** 31 - 1))
    rng = np.random.default_rng(seed)
    lam = draw(spectra(max_dim))
    d = draw(st.integers(1, max_latent))
    ee, ed = draw(st.floats(0.5, 1.5)), draw(st.floats(0.3, 1.2))
    var = draw(st.one_of(st.just("learned"), st.floats(0.3, 1.5)))
    offset = draw(st.sampled_from(OFFSETS))
    k = draw(st.integers(0, min(d, lam.size) - 1))
    if offset is None or lam[k] == 0:
        beta = draw(st.floats(0.2, 3.0))
    else:      # threshold = lam_k / (1 + offset): lam_k sits at the given relative distance above it
        factor = 1.0 if var == "learned" else var / ee ** 2
        beta = lam[k] / (1 + offset) / (ed ** 2 * factor)
    return rotated(lam, rng), d, beta, ee, ed, var
