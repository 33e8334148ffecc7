"""Figures of the game dynamics: convergence of five algorithms, escape to infinity, the phase
portrait of the 1-D linear-Gaussian game, the stochastic algorithm against the exact flow. Each
figure function ``(seed) -> (Figure, JSON-ready data)`` computes its numbers here and hands them to
a drawing function of :mod:`expfam_nash.plot`."""
from __future__ import annotations

import numpy as np

from .. import models
from ..certify import certify_equilibrium
from ..dynamics import algorithms as alg
from ..dynamics import solve, stability
from ..game import Params
from ..plot import new_figure, plot_convergence, plot_escape, plot_phase_portrait, plot_stochastic_vs_exact
from ..symbolic import linear_gaussian_branches
from .figures import FIGURES

LG_ARGS = dict(eigenvalues=[3.0, 1.0], latent_dim=1, decoder_var=0.5, encoder_var=0.8)
BERN_ARGS = dict(data="bars:2", latent_dim=2, rho=0.1)


def _traj_data(tr, every: int = 1) -> dict:
    """A trajectory thinned to every ``every``-th record (the last one kept)."""
    idx = np.unique(np.r_[np.arange(0, tr.steps.size, every), tr.steps.size - 1])
    return {"steps": tr.steps[idx].tolist(), "residual": tr.residual[idx].tolist(),
            "param_norm": tr.param_norm[idx].tolist(), "gap_steps": tr.gap_steps.tolist(),
            "nash_gap": tr.nash_gap.tolist()}


def _algorithms(game, lr: float, seed: int):
    return [("simultaneous", alg.simultaneous(game, lr), 3000, 150),
            ("alternating", alg.alternating(game, lr), 3000, 150),
            ("best response", alg.best_response_iteration(game), 60, 3),
            ("Newton", alg.newton(game), 25, 1),
            ("stochastic (batch 256)", alg.stochastic(game, lr=alg.inverse_time(lr, 1000.0), batch_size=256,
                                                      seed=seed, exact_every=10), 3000, 150)]


def _ending(st, cert) -> str:
    """Where a run ended: certified at its end point itself (no polish), or undecided there."""
    if not cert.existence.holds:
        return "undecided (no equilibrium certified at its end point)"
    kind = {"certified": "stable", "refuted": "unstable (a saddle)"}.get(st.verdict.status.value,
                                                                      "of undecided stability")
    return f"within {cert.radius:.0e} of a certified equilibrium, {kind}"


# -- (1) convergence ------------------------------------------------------------------------------
@FIGURES.register("convergence", help="residual and Nash gap of five algorithms on two games")
def convergence(seed: int = 0):
    games = [("Bernoulli bars:2, k=2, rho=0.1", models.bernoulli(**BERN_ARGS), 0.5),
             ("linear-Gaussian lam=(3,1), k=1, s=0.5, t=0.8", models.linear_gaussian(**LG_ARGS), 0.2)]
    fig, axes = new_figure(2, 2, width=6.0, height=3.8)
    data = {}
    for row, (label, game, lr) in enumerate(games):
        start = game.init(seed=seed)
        trajs, end = {}, {}
        for name, a, n, gap_every in _algorithms(game, lr, seed):
            state, tr = alg.run(game, a, start, n, gap_every=gap_every,
                                record_every=10 if name.startswith("stochastic") else 1)
            cert = certify_equilibrium(game, state.params, polish_steps=0)    # at the end point, unpolished
            st = stability(game, state.params, certificate=cert)
            trajs[f"{name}: ends {_ending(st, cert)}"] = tr
            end[name] = {"param_norm": float(state.params.norm()), "stable_at_end": bool(st.stable),
                         "existence_at_end": cert.existence.status.value, "enclosure_radius": cert.radius,
                         "stability_status": st.verdict.status.value, "stability_reason": st.verdict.reason,
                         "max_re_eigenvalue": float(st.eigenvalues.real.max())}
        plot_convergence(trajs, fig_axes=(fig, axes[row:row + 1]))
        axes[row][0].set_title(f"{label} (lr {lr}; stochastic: lr/(1+t/1000), exact residual every 10)",
                               fontsize=9, loc="left")
        data[label] = {"lr": lr, "runs": {k: _traj_data(v, 10) for k, v in trajs.items()}, "end": end}
    fig.suptitle("Residual and Nash gap vs iterations for five algorithms on two games (same random start)")
    return fig, data


# -- (5) escape to infinity -----------------------------------------------------------------------
@FIGURES.register("escape", help="parameter norm growing like log t without L2, converging with it")
def escape(seed: int = 0):
    trajs, data = {}, {}
    for rho in (0.0, 0.1):
        game = models.bernoulli("random:6:0", latent_dim=3, rho=rho)
        _, tr = alg.run(game, alg.simultaneous(game, 0.5), game.init(seed=seed), 20000)
        res = solve(game, seed=seed)
        label = f"rho = {rho:g}: solve: " + ("escape certified" if res.diverged else
                                             "certified stable equilibrium" if res.stable else
                                             "certified equilibrium" if res.converged else
                                             "undecided (no escape certificate; norm grows like log t)")
        trajs[label] = tr
        idx = np.unique(np.geomspace(1, tr.steps.size, 200).astype(int) - 1)
        data[label] = {"steps": tr.steps[idx].tolist(), "param_norm": tr.param_norm[idx].tolist(),
                       "residual": tr.residual[idx].tolist(), "solve_converged": res.converged,
                       "solve_diverged": res.diverged, "solve_reason": res.reason,
                       "solve_verdicts": {k: v.to_dict() for k, v in res.verdicts.items()}}
    fig = plot_escape(trajs, title="Bernoulli random:6:0, k=3, lr 0.5: |params| grows like log t without L2 "
                                   "(no escape certificate), converges with rho = 0.1")
    return fig, data


# -- (2) phase portrait ---------------------------------------------------------------------------
@FIGURES.register("phase_portrait", help="pseudo-gradient field of the 1-D linear-Gaussian game")
def phase_portrait(seed: int = 0):
    lam, s, t = 1.5, 0.5, 0.8
    game = models.linear_gaussian(eigenvalues=[lam], latent_dim=1, decoder_var=s, encoder_var=t)
    w = np.linspace(-1.5, 1.5, 31)
    v = np.linspace(-1.5, 1.5, 31)
    dw, dv = np.zeros((v.size, w.size)), np.zeros((v.size, w.size))
    for i, vv in enumerate(v):
        for j, ww in enumerate(w):
            g = game.gradient(Params(np.array([[ww, 0.0]]), np.array([[vv, 0.0]])))
            dw[i, j], dv[i, j] = g.theta[0, 0], g.phi[0, 0]
    eqs = []
    for b in linear_gaussian_branches(lam, s, t):
        for sign in ((1.0, -1.0) if b.w > 0 else (1.0,)):
            eqs.append({"name": b.name, "w": sign * b.w, "v": sign * b.v, "stable": bool(b.stable)})
    rng = np.random.default_rng(seed)
    paths = []
    for start in rng.uniform(-1.4, 1.4, size=(4, 2)):
        p = Params(np.array([[start[0], 0.0]]), np.array([[start[1], 0.0]]))
        pts = [start.copy()]
        for _ in range(400):          # biases stay at 0 by symmetry of the centred data and prior
            g = game.gradient(p)
            p = Params(p.theta + 0.2 * g.theta, p.phi + 0.2 * g.phi)
            pts.append([p.theta[0, 0], p.phi[0, 0]])
        paths.append(np.array(pts))
    fig = plot_phase_portrait(w, v, dw, dv, eqs, paths,
                              title=f"Pseudo-gradient field of the 1-D linear-Gaussian game in (w, v),\n"
                                    f"biases at 0 (lam={lam}, s={s}, t={t}); equilibria from the closed form")
    return fig, {"lam": lam, "s": s, "t": t, "w": w.tolist(), "v": v.tolist(), "dw": dw.tolist(),
                 "dv": dv.tolist(), "equilibria": eqs, "paths": [p.tolist() for p in paths]}


# -- (7) stochastic vs exact ----------------------------------------------------------------------
@FIGURES.register("stochastic", help="exact residual of the stochastic algorithm vs the exact flow")
def stochastic(seed: int = 0, n_seeds: int = 8, n_steps: int = 3000):
    game = models.bernoulli(**BERN_ARGS)
    start = game.init(seed=seed)
    sched = alg.inverse_time(0.5, 1000.0)
    _, exact = alg.run(game, alg.simultaneous(game, sched), start, n_steps)
    rows, steps = [], None
    for k in range(n_seeds):
        a = alg.stochastic(game, lr=sched, batch_size=256, seed=seed * 1000 + k, exact_every=10)
        _, tr = alg.run(game, a, start, n_steps, record_every=10)
        steps = tr.steps
        rows.append(tr.residual)
    res = np.array(rows)
    fig = plot_stochastic_vs_exact(exact, steps, res,
                                   title="Bernoulli bars:2, k=2, rho=0.1: exact residual of the stochastic algorithm\n"
                                         "(batch 256, lr 0.5/(1+t/1000)) vs the exact flow with the same schedule")
    return fig, {"steps": steps.tolist(), "stochastic_exact_residual": res.tolist(),
                 "exact": _traj_data(exact, 10)}


