"""Cases where the official code's closed-form helpers (thotranhuu99/Posterior_collapse_CVAE_HVAE, utils.py)
disagree with the verified derivation (docs/collapse.md): the toolkit's values, confirmed by the numerical
global minimum over all parameters, with the official helper's value in a comment."""
from __future__ import annotations

import numpy as np
import pytest

from expfam_nash import collapse


def test_cvae_encoder_std_between_beta_eta_dec_squared_and_sqrt_beta_eta_dec():
    # residual eigenvalue 0.4, beta = 1, eta_dec = 0.5: active (0.4 > 0.25); official branch 0.4 >= 0.5 fails -> 1.0
    r = collapse.cvae(np.eye(1), np.zeros((1, 1)), np.array([[0.4]]), 1, beta=1.0, eta_enc=1.0, eta_dec=0.5, starts=4)
    assert r.global_minimum.holds
    assert r.theory.encoder_std[0] == pytest.approx(0.5 * np.sqrt(1 / 0.4), rel=1e-12)       # 0.7906
    assert r.optimum.encoder_std[0] == pytest.approx(0.7906, abs=1e-4)
    # eigenvalue 3, eta_dec = 2: collapsed (3 <= 4); official branch 3 >= 2 holds -> 2 / sqrt(3) = 1.155 > eta_enc
    r = collapse.cvae(np.eye(1), np.zeros((1, 1)), np.array([[3.0]]), 1, beta=1.0, eta_enc=1.0, eta_dec=2.0, starts=4)
    assert r.global_minimum.holds and r.theory.collapsed[0]
    assert r.optimum.encoder_std[0] == pytest.approx(1.0, abs=1e-6)


def test_hvae_fixed_sigma2_level_two_branch_with_beta1_not_one():
    # beta1 = 2, beta2 = 4, eta = sigma1 = sigma2 = 1, lam = 16 (theta = 4): level 2 active; the official branch
    # needs theta >= beta2 sqrt(beta1) c^2 sigma2^2 / sigma1 = 5.66 and returns omega = 0, lambda = sqrt(1.828) = 1.352
    r = collapse.hvae(np.array([[16.0]]), (1, 1), 1.0, 1.0, 2.0, 4.0, 1.0, 1.0, starts=4)
    assert r.global_minimum.holds and not r.theory.collapsed[1][0]
    assert r.optimum.decoder_singular_values[1][0] == pytest.approx(0.7210, abs=1e-4)
    b = np.sqrt(r.theory.encoder_singular_values[0][0] ** 2 * 16.0)                # singular value of W1 A^(1/2)
    assert b == pytest.approx(1.4747, abs=1e-4)
    # beta1 = 0.5, beta2 = 1, lam = 1: level 2 collapsed; the official both-active branch is taken (theta >= 0.84,
    # theta >= 0.71) and its omega^2 = coef (1 - 2^(1/3)) < 0: NaN
    r = collapse.hvae(np.array([[1.0]]), (1, 1), 1.0, 1.0, 0.5, 1.0, 1.0, 1.0, starts=4)
    assert r.global_minimum.holds and r.theory.collapsed[1][0]
    assert r.optimum.decoder_singular_values[1][0] <= 1e-8


def test_matrix_cvae_objective_uses_another_prior_scale():
    # matrix_CVAE.py weighs the KL's mean and trace terms by beta eta_enc^2 / eta_dec^4, i.e. a prior std
    # eta_dec^2 / eta_enc; at eta_enc = 1, eta_dec = 0.5, theta = 1 its minimiser has s = sqrt(0.75) / 0.25 = 3.46,
    # the ELBO's s = sqrt(0.75) = 0.866 (what its theory helper prints)
    elbo = collapse.vae(np.array([[1.0]]), 1, 1.0, eta_enc=1.0, eta_dec=0.5, starts=2)
    theirs = collapse.vae(np.array([[1.0]]), 1, 1.0, eta_enc=0.25, eta_dec=0.5, starts=2)
    assert elbo.theory.decoder_singular_values[0] == pytest.approx(np.sqrt(0.75))
    assert theirs.theory.decoder_singular_values[0] == pytest.approx(np.sqrt(0.75) / 0.25)
