"""The collapse figures draw from the experiments' data (tiny runs)."""
from __future__ import annotations

from matplotlib.figure import Figure

from expfam_nash.collapse.experiments import (correlation_study, hvae_beta2_sweep, image_cvae_sweep, per_class_eigenvalues,
                                              synthetic_beta_sweep)
from expfam_nash.collapse.training import TrainSpec
from expfam_nash.plot.collapse import plot_active_modes, plot_class_eigenvalues, plot_singular_values
from expfam_nash.experiments import FIGURES

TINY = TrainSpec(epochs=1, n_samples=200)


def test_figures_draw_from_experiment_data():
    corr = correlation_study(rhos=(1.0, 0.0), dim=2, latent_dim=2, n_samples=200, spec=TINY)
    assert [r["theory_active"] for r in corr["rows"]] == [0, 2]
    sw = synthetic_beta_sweep(residual_eigenvalues=(2.0, 0.5), dim_x=1, latent_dim=2, n_samples=300, spec=TINY)
    assert [r["population_active"] for r in sw["rows"]] == [0, 1, 2]
    assert isinstance(plot_singular_values(corr), Figure)
    cv = image_cvae_sweep("digits", betas=(0.1, 1.0), latent_dim=4, train_betas=(0.1,), spec=TINY)
    hv = hvae_beta2_sweep("digits", beta2s=(0.5, 2.0), latent_dims=(3, 2), sigma2s=("learned", 0.25),
                          train_beta2s=(2.0,), spec=TINY)
    assert isinstance(plot_active_modes(sw, cv, hv), Figure)
    assert isinstance(plot_class_eigenvalues(per_class_eigenvalues("digits", top=4)), Figure)
    assert {"collapse_correlation", "collapse_active_modes", "collapse_per_class"} <= set(FIGURES)
