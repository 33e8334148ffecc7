"""The paper's experiments, scaled to a CPU, as functions returning plain data (JSON-ready dicts;
figures are drawn by ``expfam_nash.plot.collapse``).

* ``correlation_study``: synthetic CVAE, y ~ N(0, I), x = rho y + sqrt(1 - rho^2) n; which rho collapse.
* ``synthetic_beta_sweep``: synthetic CVAE with chosen residual eigenvalues, trained along a beta grid whose
  thresholds fall between them: active modes of training against the closed form.
* ``image_cvae_sweep``: CVAE on image quarters (x bottom-left, y the rest) along a beta grid.
* ``hvae_beta2_sweep``: two-level HVAE on full images along beta2, Sigma2 learned vs fixed.
* ``per_class_eigenvalues``: per digit class, the eigenvalues of the residual E against the collapse level.

Theory is the closed form on the training set's moments (what the stochastic objective minimises in
expectation); trained values come from ``collapse.train`` (Adam, minibatches, reparametrised samples).
"""
from __future__ import annotations

import numpy as np

from .._validation import as_rng
from .api import train
from .moments import residual_moment, samples, second_moment, spectrum
from .problem import cvae_problem, hvae_problem
from .theory import vae_theory
from .training import TrainSpec
from .images import load_images, quarters

__all__ = ["RHOS", "correlation_study", "synthetic_beta_sweep", "image_cvae_sweep", "hvae_beta2_sweep",
           "per_class_eigenvalues"]

#: rho = 0 is the independent case
RHOS = (1.0, 0.5, 0.25, 0.125, 0.0)


def _trained_row(tr) -> dict:
    return {"decoder_singular_values": tr.decoder_singular_values, "encoder_std": tr.encoder_std,
            "active": tr.active_modes, "agreement": tr.agreement, "theory_active": tr.sample_theory.active_modes,
            "theory_decoder_singular_values": tr.sample_theory.decoder_singular_values}


def _tolist(obj):
    from .._jsonable import jsonable
    return jsonable(obj)


def correlation_study(rhos=RHOS, dim: int = 8, latent_dim: int = 8, n_samples: int = 10000, beta: float = 1.0,
                      eta_enc: float = 1.0, eta_dec: float = 0.5, spec: TrainSpec | None = None, seed: int = 0) -> dict:
    """Per rho: population residual eigenvalue 1 - rho^2 and its verdict, the closed form on the samples, the
    trained model. ``spec=None``: theory only."""
    rng = as_rng(seed)
    rows = []
    for rho in rhos:
        y = rng.standard_normal((n_samples, dim))
        x = rho * y + np.sqrt(max(0.0, 1.0 - rho ** 2)) * rng.standard_normal((n_samples, dim))
        pop = vae_theory(np.full(dim, 1.0 - rho ** 2), latent_dim, beta, eta_enc, eta_dec)
        problem = cvae_problem(samples(x, y), latent_dim=latent_dim, beta=beta, eta_enc=eta_enc, eta_dec=eta_dec)
        row = {"rho": rho, "population_eigenvalue": 1.0 - rho ** 2, "population_active": pop.active_modes,
               "population_decoder_singular_values": pop.decoder_singular_values,
               "sample_eigenvalues": problem.spectrum.eigenvalues, "theory_active": problem.theory.active_modes,
               "theory_decoder_singular_values": problem.theory.decoder_singular_values,
               "theory_encoder_std": problem.theory.encoder_std, "threshold": beta * eta_dec ** 2}
        if spec is not None:
            row["trained"] = _trained_row(train(problem, spec))
        rows.append(row)
    return _tolist({"experiment": "correlation", "dim": dim, "latent_dim": latent_dim, "n_samples": n_samples,
                    "beta": beta, "eta_enc": eta_enc, "eta_dec": eta_dec, "rows": rows})


def synthetic_beta_sweep(residual_eigenvalues=(4.0, 2.0, 1.0, 0.5, 0.25, 0.125), dim_x: int = 3, latent_dim: int = 6,
                         n_samples: int = 4000, eta_enc: float = 1.0, eta_dec: float = 0.5, betas=None,
                         spec: TrainSpec | None = None, seed: int = 0) -> dict:
    """x ~ N(0, I), y = G x + V diag(sqrt(theta)) n (G, V random; population residual E = V diag(theta) V'). The
    default beta grid puts beta eta_dec^2 at the geometric means of consecutive eigenvalues (and beyond both ends),
    so every threshold is a factor sqrt(2) from the nearest eigenvalue."""
    rng = as_rng(seed)
    theta = np.sort(np.asarray(residual_eigenvalues, float))[::-1]
    if betas is None:
        cuts = np.sqrt(theta[:-1] * theta[1:])
        betas = tuple(np.concatenate([[theta[0] * 1.5], cuts, [theta[-1] / 1.5]]) / eta_dec ** 2)
    dy = theta.size
    V, _ = np.linalg.qr(rng.standard_normal((dy, dy)))
    x = rng.standard_normal((n_samples, dim_x))
    y = x @ rng.standard_normal((dim_x, dy)) + (rng.standard_normal((n_samples, dy)) * np.sqrt(theta)) @ V.T
    smp = samples(x, y)
    rows = []
    for beta in betas:
        problem = cvae_problem(smp, latent_dim=latent_dim, beta=float(beta), eta_enc=eta_enc, eta_dec=eta_dec)
        row = {"beta": float(beta), "theory_active": problem.theory.active_modes,
               "population_active": int(np.sum(theta[:latent_dim] > beta * eta_dec ** 2)),
               "theory_decoder_singular_values": problem.theory.decoder_singular_values}
        if spec is not None:
            row["trained"] = _trained_row(train(problem, spec))
        rows.append(row)
    return _tolist({"experiment": "cvae_sweep", "dataset": "synthetic", "dim_x": dim_x, "dim_y": dy, "n": n_samples,
                    "train_epochs": None if spec is None else spec.epochs, "latent_dim": latent_dim, "eta_enc": eta_enc, "eta_dec": eta_dec, "residual_eigenvalues": theta,
                    "rows": rows})


def image_cvae_sweep(dataset: str = "digits", betas=(0.1, 0.25, 0.5, 1.0, 2.0, 4.0), latent_dim: int = 16,
                     eta_enc: float = 1.0, eta_dec: float = 1.0, train_betas=(), spec: TrainSpec | None = None) -> dict:
    """CVAE on image quarters along ``betas``: closed-form U1 singular values, encoder stds and active modes for
    every beta; trained values for the betas in ``train_betas``."""
    images, _ = load_images(dataset)
    x, y = quarters(images)
    smp = samples(x, y)
    rows = []
    for beta in betas:
        problem = cvae_problem(smp, latent_dim=latent_dim, beta=beta, eta_enc=eta_enc, eta_dec=eta_dec)
        row = {"beta": beta, "theory_active": problem.theory.active_modes,
               "theory_decoder_singular_values": problem.theory.decoder_singular_values,
               "theory_encoder_std": problem.theory.encoder_std}
        if beta in train_betas:
            row["trained"] = _trained_row(train(problem, spec or TrainSpec()))
        rows.append(row)
    sp_ = cvae_problem(smp, latent_dim=latent_dim).spectrum
    return _tolist({"experiment": "cvae_sweep", "dataset": dataset, "dim_x": x.shape[1], "dim_y": y.shape[1],
                    "n": x.shape[0], "train_epochs": (spec or TrainSpec()).epochs if train_betas else None, "latent_dim": latent_dim, "eta_enc": eta_enc, "eta_dec": eta_dec,
                    "residual_eigenvalues": sp_.eigenvalues[:4 * latent_dim], "residual_rank": sp_.rank, "rows": rows})


def hvae_beta2_sweep(dataset: str = "digits", beta2s=(0.1, 0.25, 0.5, 1.0, 2.0, 4.0, 7.0), latent_dims=(10, 10),
                     eta_enc: float = 0.5, eta_dec: float = 0.5, sigma1: float = 0.5, beta1: float = 1.0,
                     sigma2s=("learned", 0.5, 0.25), train_beta2s=(), spec: TrainSpec | None = None,
                     train_sigma2s=None) -> dict:
    """HVAE on full images along ``beta2`` for each Sigma2 variant ('learned' or a fixed std): active modes per
    level in theory, and trained for the beta2 in ``train_beta2s`` (variants in ``train_sigma2s``, default all)."""
    images, _ = load_images(dataset)
    smp = samples(images.reshape(images.shape[0], -1))
    variants = []
    for s2 in sigma2s:
        rows = []
        for b2 in beta2s:
            problem = hvae_problem(smp, tuple(latent_dims), sigma1, s2, beta1, b2, eta_enc, eta_dec)
            row = {"beta2": b2, "theory_active": problem.theory.active_modes,
                   "theory_decoder_singular_values": problem.theory.decoder_singular_values,
                   "theory_encoder_std": problem.theory.encoder_std, "thresholds": problem.theory.thresholds}
            if b2 in train_beta2s and (train_sigma2s is None or s2 in train_sigma2s):
                row["trained"] = _trained_row(train(problem, spec or TrainSpec()))
            rows.append(row)
        variants.append({"sigma2": s2, "rows": rows})
    return _tolist({"experiment": "hvae_beta2", "dataset": dataset, "latent_dims": list(latent_dims), "beta1": beta1,
                    "train_epochs": (spec or TrainSpec()).epochs if train_beta2s else None,
                    "eta_enc": eta_enc, "eta_dec": eta_dec, "sigma1": sigma1, "variants": variants})


def per_class_eigenvalues(dataset: str = "digits", beta: float = 1.0, eta_dec: float = 0.5, top: int = 32) -> dict:
    """Per class: the largest eigenvalues of the residual E of the quarter split, the collapse level
    beta eta_dec^2 (Sigma learned: modes with eigenvalue <= level collapse) and the number above it."""
    images, labels = load_images(dataset)
    level = beta * eta_dec ** 2
    rows = []
    for k in np.unique(labels):
        x, y = quarters(images[labels == k])
        E, _, _ = residual_moment(second_moment(x), second_moment(x, y), second_moment(y))
        ev = spectrum(E, reference=float(np.linalg.eigvalsh(second_moment(y))[-1])).eigenvalues
        rows.append({"label": int(k), "n": int(x.shape[0]), "eigenvalues": ev[:top], "trace": float(ev.sum()),
                     "active": int(np.sum(ev > level))})
    return _tolist({"experiment": "per_class", "dataset": dataset, "beta": beta, "eta_dec": eta_dec,
                    "collapse_level": level, "rows": rows})
