"""Posterior collapse in linear VAEs, conditional VAEs and two-level hierarchical VAEs (seed 003:
Dang, Tran, Nguyen, Ho, ICLR 2024), put on trial.

    from expfam_nash import collapse
    r = collapse.cvae(cxx, cxy, cyy, latent_dim=3, beta=1.0, eta_enc=1.0, eta_dec=1.0)  # cxy = E[x y^T]
    r = collapse.vae(cxx, latent_dim=3, encoder_var="learned")                           # or a fixed variance
    r = collapse.hvae(cxx, latent_dims=(d1, d2), sigma1=0.5, sigma2="learned", beta1=1.0, beta2=2.0,
                      eta_enc=0.5, eta_dec=0.5)                                          # sigma2: "learned" or a std
    r.theory.decoder_singular_values, r.theory.encoder_std, r.theory.collapsed   # the closed form per mode
    r.optimum                       # numerical global minimum over all parameters (L-BFGS, many starts)
    r.trained                       # with train=True or train=collapse.TrainSpec(...): Adam on minibatches
    r.global_minimum, r.verdicts    # three-valued verdicts; r.summary(), r.to_dict()

Data: moments (validated; singular moments use pseudo-inverses) or ``collapse.samples(x[, y])``.
The loss is twice the negative beta-ELBO of the population (``objectives``); the closed forms are in
``theory`` and are derived in ``proofs/collapse_*.md``.
"""
from .api import OBJECTIVES, cvae, hvae, solve, train, vae
from .moments import Samples, samples, second_moment
from .objectives import CVAEObjective, HVAEObjective, VAEObjective
from .optimum import Optimum
from .problem import Problem, cvae_problem, hvae_problem, vae_problem
from .result import CollapseResult, Trained
from .solution import Solution, Theory
from .theory import hvae_theory, vae_theory
from .training import TrainSpec

__all__ = ["vae", "cvae", "hvae", "solve", "train", "samples", "Samples", "second_moment", "TrainSpec",
           "CollapseResult", "Solution", "Theory", "Optimum", "Trained", "Problem", "vae_problem", "cvae_problem",
           "hvae_problem", "vae_theory", "hvae_theory", "VAEObjective", "CVAEObjective", "HVAEObjective", "OBJECTIVES"]
