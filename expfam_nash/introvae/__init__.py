"""Soft-IntroVAE with a learnable prior as a third player, torch-free, on the 2-D density benchmark
(seed 002), and symmetric equilibrium learning with a learned prior (docs/introvae.md).

    from expfam_nash import introvae as iv
    config = iv.IntroConfig(dataset="8Gaussian", method="sintro", prior="mog:64", learnable_weights=True)
    result = iv.train(config, "runs/8g")          # checkpoints, metrics.jsonl, summary.json, samples.npz
    print(result.summary())                        # grid_kl, grid_jsd, gnelbo (x 1e7), textbook KL / JS

or step by step, with pure functions (the generator passed explicitly):

    state, nets = iv.init(config, rng)
    state, info = iv.step(config, state, nets, iv.data_batch(config, rng), rng)

The protocol and the table: ``python -m expfam_nash.introvae drive --root runs/introvae --jobs 2``
and ``python -m expfam_nash.introvae table runs/introvae`` (or :mod:`.protocol`, :mod:`.table`).
"""
from . import data, kernels, metrics, priors
from .config import METHODS, RECOMMENDED, IntroConfig
from .evaluate import evaluate
from .methods import StepInfo, data_batch, init, step, vamp_to_mog
from .run import RunResult, resume, train
from .state import IntroState

__all__ = ["data", "kernels", "metrics", "priors", "METHODS", "RECOMMENDED", "IntroConfig", "evaluate", "StepInfo",
           "data_batch", "init", "step", "vamp_to_mog", "RunResult", "resume", "train", "IntroState"]
