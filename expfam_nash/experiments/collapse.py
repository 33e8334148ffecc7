"""The posterior-collapse figures (seed 003), registered in ``FIGURES``: each computes with
:mod:`expfam_nash.collapse` and draws with :mod:`expfam_nash.plot.collapse`."""
from __future__ import annotations

from ..collapse.experiments import (correlation_study, hvae_beta2_sweep, image_cvae_sweep, per_class_eigenvalues,
                                   synthetic_beta_sweep)
from ..collapse.game_experiments import threshold_comparison
from ..collapse.training import TrainSpec
from ..plot.collapse import plot_active_modes, plot_class_eigenvalues, plot_singular_values, plot_threshold_comparison
from .figures import FIGURES

__all__ = ["collapse_correlation", "collapse_active_modes", "collapse_per_class", "collapse_thresholds"]

CVAE_BETAS = (0.05, 0.1, 0.2, 0.35, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 5.0)
HVAE_BETA2 = (0.1, 0.25, 0.5, 1.0, 2.0, 4.0, 7.0)


@FIGURES.register("collapse_correlation", minutes=True,
                  help="synthetic CVAE: closed-form vs trained singular values along the x-y correlation")
def collapse_correlation(seed: int = 0):
    """Synthetic CVAE, rho in {1, 1/2, 1/4, 1/8, 0}: closed-form vs trained singular values of U1."""
    data = correlation_study(dim=8, latent_dim=8, n_samples=4000, spec=TrainSpec(epochs=60, seed=seed), seed=seed)
    fig = plot_singular_values(data)
    fig.suptitle("CVAE, y ~ N(0, I), x = rho y + sqrt(1 - rho^2) n, beta = 1, eta_dec = 0.5: collapse iff rho^2 >= 3/4",
                 fontsize=9)
    return fig, data


@FIGURES.register("collapse_active_modes", minutes=True, extras=("images",),
                  help="active modes along beta (CVAE) and beta2 (HVAE): closed form vs Adam")
def collapse_active_modes(seed: int = 0):
    """Active modes along beta (CVAE: synthetic data with separated residual eigenvalues, 8 x 8 digits, MNIST
    quarters) and beta2 (HVAE, MNIST; Sigma2 learned vs fixed): closed form (lines) against Adam (markers).
    MNIST CVAE training does not converge in a CPU budget (docs/collapse.md): its panel is the closed form."""
    synthetic = synthetic_beta_sweep(spec=TrainSpec(epochs=300, seed=seed), seed=seed)
    digits = image_cvae_sweep("digits", betas=CVAE_BETAS, latent_dim=8, train_betas=(0.05, 0.2, 0.5, 1.0),
                              spec=TrainSpec(epochs=1000, seed=seed))
    mnist = image_cvae_sweep("mnist", betas=CVAE_BETAS, latent_dim=64)
    hvae = hvae_beta2_sweep("mnist", beta2s=HVAE_BETA2, sigma2s=("learned", 0.5, 0.25), train_beta2s=(0.5, 4.0),
                            train_sigma2s=("learned", 0.25), spec=TrainSpec(epochs=300, seed=seed))
    data = {"synthetic": synthetic, "digits": digits, "mnist": mnist, "hvae": hvae}
    return plot_active_modes(synthetic, digits, mnist, hvae), data


@FIGURES.register("collapse_per_class", extras=("images",),
                  help="per-class residual eigenvalues of MNIST quarters against the collapse level")
def collapse_per_class(seed: int = 0):
    """Per-class residual eigenvalues of the MNIST quarter split against beta eta_dec^2 (beta = 1, eta_dec = 0.5)."""
    data = per_class_eigenvalues("mnist", beta=1.0, eta_dec=0.5, top=64)
    return plot_class_eigenvalues(data), data



@FIGURES.register("collapse_thresholds", help="ELBO vs symmetric-game collapse thresholds (VAE/CVAE, HVAE)")
def collapse_thresholds(seed: int = 0):
    """Where modes collapse: the beta-ELBO's thresholds along beta (beta2) against the symmetric game's (no beta),
    with the game's certified per-mode verdicts on an eigenvalue grid (eta_enc = eta_dec = 0.5, sigma1 = 0.6)."""
    data = threshold_comparison()
    fig = plot_threshold_comparison(data)
    fig.suptitle("Posterior collapse: beta-ELBO (solid) vs symmetric game (dashed); they meet at beta = 1. Markers: the "
                 "game's certified verdicts (filled active, open collapsed)", fontsize=9)
    return fig, data
