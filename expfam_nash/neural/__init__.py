"""The torch-free VAE learner: MLP encoders and decoders with exponential-family heads on
NumPy + Numba, trained by symmetric equilibrium learning or by the ELBO.

    from expfam_nash import neural as nn
    data = nn.datasets.load("bars:3")
    config = nn.TrainConfig(dataset="bars:3", model="bits:6", method="symmetric", steps=20000)
    run = nn.train(config, "runs/bars")          # checkpoints, metrics.jsonl, summary.json
    print(run.summary())

or step by step, with the pure ``init`` / ``step`` functions of :mod:`.learning`:

    model = nn.VAE(data.dim, nn.priors.UniformBits(6), hidden=(64,))
    state = nn.learning.init(model, seed=0)
    state, info = nn.symmetric_step(model, state, x_batch, rng)

Registries: ``LEARNING_METHODS`` (symmetric, elbo), ``DATASETS``; the model contract is
:mod:`.protocol`.
"""
from . import checkpoint, datasets, heads, kernels, learning, priors, protocol
from .build import MODEL_SPECS, build_model
from .config import TrainConfig, train_args
from .datasets import DATASETS
from .hierarchical import HierarchicalVAE
from .learning import LEARNING_METHODS, Adam, LearnerState, LearningInfo, elbo_step, symmetric_step
from .mlp import MLP, MLPSpec
from .protocol import LatentModel
from .train import FinishedRun, RunResult, resume, train
from .vae import VAE

__all__ = ["checkpoint", "datasets", "heads", "kernels", "learning", "priors", "protocol", "MLP", "MLPSpec", "VAE",
           "HierarchicalVAE", "Adam", "LearnerState", "LearningInfo", "symmetric_step", "elbo_step", "TrainConfig",
           "train_args", "RunResult", "FinishedRun", "build_model", "MODEL_SPECS", "train", "resume",
           "LEARNING_METHODS", "DATASETS", "LatentModel"]
