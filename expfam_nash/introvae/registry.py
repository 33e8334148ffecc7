"""Registries of the Soft-IntroVAE benchmark, for the command line (``expfam-nash train`` on the
``ref2d:NAME`` datasets), the sweeps and the docs: its methods (the three step functions and the
protocol's variants, each a preset of :class:`IntroConfig` fields), its priors, its datasets, and the
``Arg`` spec of every :class:`IntroConfig` field with the package's canonical parsers (the way
``neural.config.train_args`` describes ``TrainConfig``)."""
from __future__ import annotations

import dataclasses

from ..core.parsing import at_least, canonical, flag, ints, nonnegative, optional, positive, variance
from ..core.registry import Arg, Registry
from .config import METHODS as CONFIG_METHODS
from .config import IntroConfig
from .data import SAMPLERS
from .protocol import EXTRAS, METHODS
from .sintro import sintro_step, vae_step
from .symmetric import symmetric_step

INTRO_METHODS: Registry = Registry("introvae method")
INTRO_METHODS.register("vae", vae_step, help="beta-VAE: beta_rec Rec + beta_kl KL, all players together")
INTRO_METHODS.register("sintro", sintro_step, help="Soft-IntroVAE (beta-VAE warm-up first); a mixture prior "
                       "learns as a third player unless train_prior is false")
INTRO_METHODS.register("symmetric", symmetric_step, help="symmetric equilibrium learning; a mixture prior is a "
                       "third player fitting the aggregate posterior")
#: the protocol's methods and ablations: presets of IntroConfig fields on one of the three steps
for _name, _preset in {**METHODS, **EXTRAS}.items():
    if _name not in INTRO_METHODS:
        INTRO_METHODS.register(_name, INTRO_METHODS[_preset["method"]].obj, preset=dict(_preset),
                               help="preset: " + ", ".join(f"{k}={v}" for k, v in _preset.items()))

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


#: fields whose values are counts (>= 1) or step numbers (>= 0), and the positive reals
_COUNTS = ("mc_samples", "batch", "latent_dim", "log_every", "checkpoint_every", "eval_points", "eval_grid",
           "eval_data")
_STEPS = ("steps", "warmup", "vamp_lead", "seed")
_POSITIVE = ("lr", "exp_scale", "prior_lr")


def parser_of(f: dataclasses.Field):
    """The parser of an IntroConfig field (``core.parsing``: a command-line string or a typed value)."""
    if f.name in ("hidden", "milestones"):
        return ints
    if f.name == "decoder_variance":
        return variance
    if f.name == "clip":
        return optional(flag)
    if isinstance(f.default, bool):
        return flag
    if f.name in _COUNTS or f.name in _STEPS:
        return at_least(1 if f.name in _COUNTS else 0)
    if f.name in _POSITIVE:
        return optional(positive) if f.default is None else positive
    if f.default is None:
        return optional(nonnegative)
    if isinstance(f.default, float):
        return nonnegative
    return canonical(type(f.default))


def intro_args() -> tuple[Arg, ...]:
    """The ``Arg`` spec of every field of :class:`IntroConfig`."""
    choices = {"method": CONFIG_METHODS, "dataset": INTRO_DATASETS.names(), "dtype": ("float32", "float64")}
    return tuple(Arg(f.name, parser_of(f), f.default, HELP[f.name], (), choices.get(f.name))
                 for f in dataclasses.fields(IntroConfig))
