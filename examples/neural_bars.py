"""Train a neural VAE on bars 3x3 by symmetric equilibrium learning and by the ELBO, without torch,
and compare them on held-out data against the true generating model.

    python examples/neural_bars.py            # about half a minute per method on 2 cores
    python examples/neural_bars.py --steps 2000
"""
import argparse
import tempfile

from expfam_nash import neural as nn

parser = argparse.ArgumentParser()
parser.add_argument("--steps", type=int, default=20000)
args = parser.parse_args()

with tempfile.TemporaryDirectory() as tmp:
    for method in ("symmetric", "elbo"):
        config = nn.TrainConfig(dataset="bars:3", model="bits:6", method=method, steps=args.steps, lr=3e-3,
                                hidden=(64,), eval_K=200)
        run = nn.train(config, f"{tmp}/{method}", progress=False)
        ev = run.evaluation
        print(f"{method:9s}: log-likelihood gap to the true model {ev['ll_gap']:.3f} +- {ev['ll_gap_se']:.3f} nat, "
              f"TV(chain limit, data) {ev['chain']['tv']:.3f}, active units {ev['latents']['n_active']}/6, "
              f"{run.wall_time:.1f} s")
