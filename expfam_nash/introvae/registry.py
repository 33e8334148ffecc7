"""Registries of the Soft-IntroVAE benchmark, for the command line and the docs: its methods, its
priors, its datasets, and the ``Arg`` spec of every :class:`IntroConfig` field (the way
``neural.config.train_args`` describes ``TrainConfig``)."""
from __future__ import annotations

import dataclasses

from ..core.parsing import flag, ints
from ..core.registry import Arg, Registry
from .config import IntroConfig
from .data import SAMPLERS
from .sintro import sintro_step, vae_step
from .symmetric import symmetric_step

INTRO_METHODS: Registry = Registry("introvae method")
INTRO_METHODS.register("vae", vae_step, help="beta-VAE: beta_rec Rec + beta_kl KL, all players together")
INTRO_METHODS.register("sintro", sintro_step, help="Soft-IntroVAE (beta-VAE warm-up first); a mixture prior "
                       "learns as a third player unless train_prior is false")
INTRO_METHODS.register("symmetric", symmetric_step, help="symmetric equilibrium learning; a mixture prior is a "
                       "third player fitting the aggregate posterior")

INTRO_PRIORS: Registry = Registry("introvae prior")
INTRO_PRIORS.register("normal", "normal", help="N(0, I), imposed")
INTRO_PRIORS.register("mog", "mog:K", args=(Arg("K", int, 64, "components"),),
                      help="mixture of K diagonal Gaussians (VampPrior during warm-up for vae/sintro)")

INTRO_DATASETS: Registry = Registry("introvae dataset")
for _name, _sampler in SAMPLERS.items():
    INTRO_DATASETS.register(_name, _sampler, help="the reference 2-D generator (introvae/data.py)")

HELP = {
    "dataset": "reference 2-D density", "method": "learning method", "prior": "'normal' or 'mog:K'",
    "learnable_weights": "mixture weights learned (softmax logits)",
    "train_prior": "the mixture is a player after warm-up (false: fixed pretrained mixture)",
    "clip": "adaptive variance clipping (none: on exactly for sintro with a learnable prior)",
    "lambda_resp": "responsibility regularisation weight", "beta_rec": "reconstruction weight (none: recommended)",
    "beta_kl": "KL weight (none: recommended)", "beta_neg": "S-IntroVAE's negative KL weight (none: recommended)",
    "exp_scale": "S-IntroVAE's exponent scale a", "gamma_r": "weight of the decoder's re-reconstruction terms",
    "mc_samples": "Monte Carlo draws per KL", "steps": "iterations", "warmup": "beta-VAE iterations first (sintro)",
    "vamp_lead": "VampPrior -> mixture this many iterations before warm-up ends",
    "milestones": "iterations where every lr is multiplied by 0.1", "lr": "step size of encoder and decoder",
    "prior_lr": "step size of the prior (none: lr)", "batch": "batch size", "hidden": "hidden widths",
    "latent_dim": "latent dimension", "decoder_variance": "symmetric: 'learned' or a fixed variance > 0",
    "seed": "seed", "dtype": "float32 or float64", "log_every": "metrics line every this many iterations",
    "checkpoint_every": "checkpoint every this many iterations", "eval_points": "points per evaluation histogram",
    "eval_grid": "gnELBO grid side", "eval_data": "gnELBO data points",
}


def _optional(parse):
    def convert(text: str):
        return None if text.lower() == "none" else parse(text)
    convert.__name__ = getattr(parse, "__name__", "value")
    return convert


def parser_of(f: dataclasses.Field):
    """The command-line parser of an IntroConfig field."""
    if f.name in ("hidden", "milestones"):
        return ints
    if f.name == "decoder_variance":
        return lambda t: t if t == "learned" else float(t)
    if f.name == "clip":
        return _optional(flag)
    if isinstance(f.default, bool):
        return flag
    if f.default is None:
        return _optional(float)
    return type(f.default)


def intro_args() -> tuple[Arg, ...]:
    """The ``Arg`` spec of every field of :class:`IntroConfig`."""
    choices = {"method": INTRO_METHODS.names(), "dataset": INTRO_DATASETS.names(), "dtype": ("float32", "float64")}
    return tuple(Arg(f.name, parser_of(f), f.default, HELP[f.name], (), choices.get(f.name))
                 for f in dataclasses.fields(IntroConfig))
