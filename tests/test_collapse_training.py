"""Minibatch training (Adam, reparametrised samples) against the closed form, and its reproducibility."""
from __future__ import annotations

import numpy as np
import pytest

from expfam_nash import collapse
from expfam_nash.collapse import TrainSpec
from expfam_nash.collapse.problem import cvae_problem, hvae_problem, vae_problem

#: tolerance of trained decoder singular values against the training set's closed form, in units
TRAIN_SV_TOL = 0.03


def _data(rng, n=3000, scales=(2.0, 1.0, 0.1)):
    return rng.standard_normal((n, len(scales))) * np.asarray(scales)


def test_trained_vae_matches_the_closed_form_of_its_training_set():
    x = _data(np.random.default_rng(0))                         # eigenvalues ~ 4, 1, 0.01; threshold 0.25
    p = vae_problem(collapse.samples(x), 3, 1.0, 1.0, 0.5)
    tr = collapse.train(p, TrainSpec(epochs=60, batch=64, lr=1e-2, seed=1))
    assert tr.active_modes == tr.sample_theory.active_modes == 2
    assert max(tr.agreement["singular_value_error"]) <= TRAIN_SV_TOL
    np.testing.assert_allclose(np.sort(tr.encoder_std), np.sort(tr.sample_theory.encoder_std), atol=0.03)


def test_trained_cvae_and_hvae_match_their_closed_forms():
    rng = np.random.default_rng(1)
    y = _data(rng)
    x = 0.5 * y[:, :2] + rng.standard_normal((3000, 2))
    tr = collapse.train(cvae_problem(collapse.samples(x, y), latent_dim=3, beta=1.0, eta_dec=0.5),
                        TrainSpec(epochs=40, lr=3e-2, seed=2))
    assert tr.active_modes == tr.sample_theory.active_modes
    assert max(tr.agreement["singular_value_error"]) <= TRAIN_SV_TOL
    h = collapse.train(hvae_problem(collapse.samples(y), (2, 1), 0.5, "learned", 1.0, 2.0, 0.5, 0.5),
                       TrainSpec(epochs=40, lr=3e-2, seed=3))
    assert h.active_modes == h.sample_theory.active_modes
    assert max(h.agreement["singular_value_error"]) <= TRAIN_SV_TOL


def test_training_is_reproducible_and_seed_dependent():
    x = _data(np.random.default_rng(4), n=500)
    p = vae_problem(collapse.samples(x), 2, 1.0, 1.0, 0.5)
    a = collapse.train(p, TrainSpec(epochs=3, seed=5))
    b = collapse.train(p, TrainSpec(epochs=3, seed=5))
    c = collapse.train(p, TrainSpec(epochs=3, seed=6))
    assert a.loss == b.loss and np.array_equal(a.decoder_singular_values, b.decoder_singular_values)
    assert a.loss != c.loss


def test_moments_only_training_draws_gaussian_samples_and_says_so():
    r = collapse.vae(np.diag([3.0, 0.1]), 2, 1.0, 1.0, 0.5, starts=0, train=TrainSpec(epochs=5, n_samples=800))
    assert r.trained.settings["n_samples"] == 800 and any("Gaussian samples" in n for n in r.notes)
    assert r.trained.sample_theory.eigenvalues[0] == pytest.approx(3.0, rel=0.2)


@pytest.mark.parametrize("field, value", [("epochs", 0), ("batch", 0), ("lr", -1.0), ("n_samples", 0)])
def test_train_spec_is_validated(field, value):
    with pytest.raises(ValueError, match=field):
        TrainSpec(**{field: value})


def test_trained_active_modes_follow_the_closed_form_along_a_beta_sweep():
    """Synthetic CVAE with residual eigenvalues 4, 1, 1/4 and thresholds beta eta_dec^2 between them (and beyond).
    Two active modes first share one encoder variance (a plateau, ~2500 steps at lr 1e-2) before separating."""
    from expfam_nash.collapse.experiments import synthetic_beta_sweep

    d = synthetic_beta_sweep(residual_eigenvalues=(4.0, 1.0, 0.25), dim_x=2, latent_dim=3, n_samples=1000,
                             spec=TrainSpec(epochs=800, seed=0))             # 6400 steps: past the plateau

    assert [r["theory_active"] for r in d["rows"]] == [0, 1, 2, 3] == [r["population_active"] for r in d["rows"]]
    for r in d["rows"]:
        assert r["trained"]["active"] == r["theory_active"], r
        assert max(r["trained"]["agreement"]["singular_value_error"]) <= TRAIN_SV_TOL, r
