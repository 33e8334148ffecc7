"""Public entry points: ``vae``, ``cvae``, ``hvae`` (closed form + numerical optimum + optional
training) and ``solve`` for a prepared ``Problem``."""
from __future__ import annotations

from dataclasses import fields

import numpy as np

from .._validation import as_rng, check_int
from ..core.validation import shown
from ..core.verdict import Status, Verdict
from .coordinates import coordinates, random_coordinates
from .moments import Samples
from .optimum import blas_threads, extract, numerical_optimum
from .problem import Problem, cvae_problem, hvae_problem, vae_problem
from .result import CollapseResult, Trained
from .solution import Solution
from .training import TrainSpec, adam_train
from .verdicts import LOSS_RTOL, agreement, global_minimum_verdict, mode_verdicts

__all__ = ["OBJECTIVES", "TRAIN_COLLAPSE_RTOL", "vae", "cvae", "hvae", "solve", "train"]

OBJECTIVES = ("elbo", "symmetric")

#: a trained decoder singular value at or below this many units counts as collapsed (SGD noise floor)
TRAIN_COLLAPSE_RTOL = 0.02


def check_objective(objective: str) -> str:
    if objective not in OBJECTIVES:
        raise ValueError(f"objective: expected one of {', '.join(OBJECTIVES)}, got {shown(objective)}")
    return objective


def _rebuild(problem: Problem, smp: Samples) -> Problem:
    """The same model and hyper-parameters on the moments of ``smp``."""
    s = dict(problem.settings)
    if problem.model == "vae":
        return vae_problem(smp, s["latent_dim"], s["beta"], s["eta_enc"], s["eta_dec"], s["encoder_var"])
    if problem.model == "cvae":
        return cvae_problem(smp, latent_dim=s["latent_dim"], beta=s["beta"], eta_enc=s["eta_enc"],
                            eta_dec=s["eta_dec"], encoder_var=s["encoder_var"])
    return hvae_problem(smp, tuple(s["latent_dims"]), s["sigma1"], s["sigma2"], s["beta1"], s["beta2"],
                        s["eta_enc"], s["eta_dec"])


def _training_samples(problem: Problem, spec: TrainSpec) -> tuple[Samples, str | None]:
    if problem.samples is not None:
        return problem.samples, None
    vals, vecs = np.linalg.eigh(problem.moment)
    root = (vecs * np.sqrt(np.maximum(vals, 0.0))) @ vecs.T
    rows = as_rng(spec.seed + 1).standard_normal((spec.n_samples, root.shape[0])) @ root
    note = f"training data: {spec.n_samples} Gaussian samples with the given second moment (seed {spec.seed + 1})"
    if problem.model == "cvae":
        dx = problem.settings["dim_x"]
        return Samples(rows[:, :dx], rows[:, dx:]), note
    return Samples(rows), note


def train(problem: Problem, spec: TrainSpec | None = None, progress=None) -> Trained:
    """Adam on minibatches (``training.adam_train``) from a random start; per-mode values at the end."""
    spec = TrainSpec() if spec is None else spec
    smp, note = _training_samples(problem, spec)
    sample = _rebuild(problem, smp)
    data = smp.x if smp.y is None else np.concatenate([smp.x, smp.y], axis=1)
    coords = coordinates(sample.objective, sample.moment, spec.whitening_floor)
    y0 = random_coordinates(coords, as_rng(spec.seed))
    with blas_threads(0):           # minibatch products are small whatever the data dimension: one BLAS thread
        vec, log = adam_train(sample.objective, data, y0, coords, spec, progress)
    loss = sample.objective.loss_grad(vec, sample.moment)[0]
    sol = extract(sample.objective, vec, sample.spectrum, sample.units, loss, "trained")
    coll = tuple(s <= TRAIN_COLLAPSE_RTOL * u for s, u in
                 zip(sol.decoder_singular_values if isinstance(sol.decoder_singular_values, tuple)
                     else (sol.decoder_singular_values,), sample.units))
    base = {f.name: getattr(sol, f.name) for f in fields(Solution)}
    base["collapsed"] = coll if problem.model == "hvae" else coll[0]
    settings = {"epochs": spec.epochs, "batch": spec.batch, "lr": spec.lr, "final_lr_ratio": spec.final_lr_ratio,
                "seed": spec.seed, "n_samples": smp.n, "steps": spec.epochs * max(1, -(-smp.n // spec.batch)),
                "whitening_floor": spec.whitening_floor}
    if note:
        settings["note"] = note
    return Trained(**base, sample_theory=sample.theory, agreement=agreement(sample.theory, Solution(**base), sample.units),
                   settings=settings, collapse_rtol=TRAIN_COLLAPSE_RTOL,
                   log={"steps": log.steps, "batch_loss": log.batch_loss})


def solve(problem: Problem, starts: int = 8, seed=0, train_spec: TrainSpec | bool | None = None,
          objective: str = "elbo", progress=None, maxiter: int = 20000) -> CollapseResult:
    """Closed form, numerical optimum from ``starts`` random starts (0: skip) of at most ``maxiter`` L-BFGS
    iterations each, training if asked. An L-BFGS iteration costs about a second on 784-pixel images with
    d_z = 64: there use few starts and a few hundred iterations (the verdict then says how far it got).

    ``objective="symmetric"``: the symmetric game instead of the ELBO (``collapse.symmetric``): the
    closed-form stable equilibrium (``theory``), every equilibrium per mode with certified verdicts
    (``game``), and ``solve`` from ``starts`` random starts of at most ``maxiter`` steps (``optimum``:
    the run closest to the closed form)."""
    check_objective(objective)
    starts = check_int(starts, "starts", minimum=0)
    maxiter = check_int(maxiter, "maxiter")
    if objective == "symmetric":
        if train_spec:
            raise ValueError("train: training is for objective='elbo'; the symmetric game is solved exactly")
        return _symmetric(problem, starts, seed, maxiter)
    optimum = numerical_optimum(problem, starts, seed, maxiter) if starts else None
    if optimum is None:
        agree, gm, ok = {}, Verdict.undecided("no numerical optimum computed (starts=0)"), None
    else:
        agree = agreement(problem.theory, optimum, problem.units)
        gm = global_minimum_verdict(problem.theory, optimum.start_losses, agree)
        ok = gm.status is not Status.REFUTED and agree["loss_error"] <= LOSS_RTOL
    trained = None
    if train_spec:
        trained = train(problem, TrainSpec() if train_spec is True else train_spec, progress)
    data = problem.spectrum.to_dict()
    return CollapseResult(problem.model, objective, problem.settings, data, problem.theory, optimum, trained, gm,
                          mode_verdicts(problem.theory, ok), agree, problem.notes
                          + ((trained.settings["note"],) if trained is not None and "note" in trained.settings else ()))


def _symmetric(problem: Problem, starts: int, seed, maxiter: int) -> CollapseResult:
    from .symmetric import analyse, global_verdict

    theory, game, verdicts, best = analyse(problem, starts, seed, maxiter)
    agree = agreement(theory, best, problem.units) if best is not None else {}
    notes = problem.notes + _ignored_betas(problem)
    return CollapseResult(problem.model, "symmetric", problem.settings, problem.spectrum.to_dict(), theory, best, None,
                          global_verdict(game, verdicts), verdicts, agree, notes, game=game)


def _ignored_betas(problem: Problem) -> tuple[str, ...]:
    s = problem.settings
    betas = {k: s[k] for k in ("beta", "beta1", "beta2") if k in s and s[k] != 1.0}
    return (f"the symmetric game has no beta: {', '.join(f'{k} = {v:g}' for k, v in betas.items())} ignored "
            "(its thresholds are the ELBO's at beta = 1)",) if betas else ()


def vae(cxx, latent_dim: int, beta=1.0, eta_enc=1.0, eta_dec=1.0, encoder_var="learned", *, starts: int = 8,
        seed=0, train: TrainSpec | bool | None = None, objective: str = "elbo", maxiter: int = 20000) -> CollapseResult:
    """Linear VAE on E[x x^T] = ``cxx`` (or ``collapse.samples(x)``); ``encoder_var``: 'learned' or a
    fixed variance of every latent coordinate."""
    check_objective(objective)
    return solve(vae_problem(cxx, latent_dim, beta, eta_enc, eta_dec, encoder_var), starts, seed, train, objective,
                 maxiter=maxiter)


def cvae(cxx, cxy=None, cyy=None, latent_dim: int = 1, beta=1.0, eta_enc=1.0, eta_dec=1.0, encoder_var="learned",
         *, starts: int = 8, seed=0, train: TrainSpec | bool | None = None, objective: str = "elbo",
         maxiter: int = 20000) -> CollapseResult:
    """Linear CVAE on (E[x x^T], E[x y^T], E[y y^T]) (or ``collapse.samples(x, y)`` as ``cxx``)."""
    check_objective(objective)
    return solve(cvae_problem(cxx, cxy, cyy, latent_dim, beta, eta_enc, eta_dec, encoder_var), starts, seed, train,
                 objective, maxiter=maxiter)


def hvae(cxx, latent_dims, sigma1=1.0, sigma2="learned", beta1=1.0, beta2=1.0, eta_enc=1.0, eta_dec=1.0, *,
         starts: int = 8, seed=0, train: TrainSpec | bool | None = None, objective: str = "elbo",
         maxiter: int = 20000) -> CollapseResult:
    """Two-level linear HVAE on E[x x^T]; ``sigma1`` the fixed level-1 encoder std, ``sigma2`` 'learned'
    (Sigma2 diagonal) or the fixed level-2 std (Sigma2 = sigma2^2 I)."""
    check_objective(objective)
    return solve(hvae_problem(cxx, latent_dims, sigma1, sigma2, beta1, beta2, eta_enc, eta_dec), starts, seed, train,
                 objective, maxiter=maxiter)
