"""expfam-nash quick start: build a pair, solve it, verify it, plot a figure, read the claims register.

Run with ``python examples/quickstart.py`` (writes quickstart_convergence.png to the current directory).
"""
# %% 1. Build a pair: a linear-Gaussian encoder/decoder on data with covariance eigenvalues 3 and 1.
import matplotlib

matplotlib.use("Agg")

import expfam_nash as en

game = en.models.linear_gaussian(eigenvalues=[3.0, 1.0], latent_dim=1, decoder_var=0.5, encoder_var=0.8)
print(game.describe())

# %% 2. Solve: gradient flow, Newton polish, then certified verdicts (existence within an enclosure radius, stability, Nash-gap bound).
eq = en.solve(game, seed=0)
print(eq.summary())
assert eq.converged and eq.stable

# %% 3. Verify: solve from many starts and group the equilibria up to the latent symmetries.
from expfam_nash.verification import verify

verdict = verify(game, starts=8, seed=0)
print(verdict.summary())        # two classes: the stable nontrivial branch and the collapsed saddle

# %% 4. Compare algorithms and plot their convergence (a matplotlib Figure; no pyplot state).
from expfam_nash.dynamics import algorithms as alg
from expfam_nash.plot import plot_convergence

start = game.init(seed=0)
runs = {}
for name, algorithm, steps in [("simultaneous", alg.simultaneous(game, 0.2), 400),
                               ("best response", alg.best_response_iteration(game), 30),
                               ("Newton", alg.newton(game), 15)]:
    _, runs[name] = alg.run(game, algorithm, start, steps, gap_every=max(1, steps // 10))
fig = plot_convergence(runs, title="Three algorithms on the linear-Gaussian pair")
fig.savefig("quickstart_convergence.png", dpi=80)

# %% 5. The unregularised Bernoulli pair: its parameters grow like log t; no escape certificate exists, so it is undecided.
growing = en.solve(en.models.bernoulli("random:6:0", latent_dim=3), seed=0, max_steps=5000)
print("rho = 0:  ", growing.status, "--", growing.verdicts["escape"].summary())
penalised = en.solve(en.models.bernoulli("random:6:0", latent_dim=3, rho=0.1), seed=0)
print("rho = 0.1:", penalised.status, f"(enclosure radius {penalised.enclosure_radius:.2g})")

# %% 6. The claims register: every claim of the theory with its verdict and evidence.
from expfam_nash.verification.claims import register_table

print(register_table())
