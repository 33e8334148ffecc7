"""The figure registry: ``FIGURES[name](seed) -> (Figure, data)``; ``data`` holds the numbers behind
the figure (JSON-ready: lists, floats, strings). ``write(name, out, seed)`` saves NAME.png and NAME.json.

Every figure is deterministic in ``seed`` (all randomness comes from it)."""
from __future__ import annotations

import json
import math
import warnings
from pathlib import Path

import numpy as np

from .. import models
from .._jsonable import jsonable
from ..dynamics import algorithms as alg
from ..dynamics.solve import solve, stability
from ..game import Params
from .bifurcation import plot_bifurcation
from .consistency import KEYS, plot_consistency
from .convergence import plot_convergence
from .escape import plot_escape
from .phase import plot_phase_portrait
from .spectra import plot_spectra
from .stochastic import plot_stochastic_vs_exact
from .uniqueness import plot_uniqueness_map, verdict_category

LG_ARGS = dict(eigenvalues=[3.0, 1.0], latent_dim=1, decoder_var=0.5, encoder_var=0.8)
BERN_ARGS = dict(data="bars:2", latent_dim=2, l2=0.1)


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


# -- (1) convergence ------------------------------------------------------------------------------
def convergence(seed: int = 0):
    from ._base import new_figure
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
            st = stability(game, state.params)
            trajs[f"{name}: ends at a {'stable' if st.stable else 'NOT stable'} point"] = tr
            end[name] = {"param_norm": float(state.params.norm()), "stable_at_end": bool(st.stable),
                         "max_re_eigenvalue": float(st.eigenvalues.real.max())}
        plot_convergence(trajs, fig_axes=(fig, axes[row:row + 1]))
        axes[row][0].set_title(f"{label} (lr {lr}; stochastic: lr/(1+t/1000), exact residual every 10)",
                               fontsize=9, loc="left")
        data[label] = {"lr": lr, "runs": {k: _traj_data(v, 10) for k, v in trajs.items()}, "end": end}
    fig.suptitle("Residual and Nash gap vs iterations for five algorithms on two games (same random start)")
    return fig, data


# -- (5) escape to infinity -----------------------------------------------------------------------
def escape(seed: int = 0):
    trajs, data = {}, {}
    for rho in (0.0, 0.1):
        game = models.bernoulli("random:6:0", latent_dim=3, l2=rho)
        _, tr = alg.run(game, alg.simultaneous(game, 0.5), game.init(seed=seed), 20000)
        res = solve(game, seed=seed)
        label = f"rho = {rho:g}: " + ("escapes" if res.diverged else "converges" if res.converged else "stalls")
        trajs[label] = tr
        idx = np.unique(np.geomspace(1, tr.steps.size, 200).astype(int) - 1)
        data[label] = {"steps": tr.steps[idx].tolist(), "param_norm": tr.param_norm[idx].tolist(),
                       "residual": tr.residual[idx].tolist(), "solve_converged": res.converged,
                       "solve_diverged": res.diverged, "solve_reason": res.reason}
    fig = plot_escape(trajs, title="Bernoulli random:6:0, k=3, simultaneous lr 0.5: |params| grows like log t "
                                   "without L2, converges with rho = 0.1")
    return fig, data


# -- (3) bifurcation ------------------------------------------------------------------------------
def _branch_curves(xs, branches_of):
    out = {"collapsed": {"gain": [], "stable": []}, "nontrivial": {"gain": [], "stable": []}}
    for x in xs:
        found = {b.name: b for b in branches_of(x)}
        for name in out:
            b = found.get(name)
            out[name]["gain"].append(b.gain if b is not None else math.nan)
            out[name]["stable"].append(bool(b.stable) if b is not None else False)
    return out


def _verified_points(xs, game_of, seed):
    from ..verification import verify
    pts = []
    for x in xs:
        v = verify(game_of(x), starts=6, seed=seed)
        for c in v.classes:
            pts.append((float(x), float(np.asarray(c.representative.invariants["gain"])[0]),
                        bool(c.representative.stable)))
    return pts


def bifurcation(seed: int = 0):
    from ..symbolic import linear_gaussian_branches
    s, t = 0.5, 0.8
    lam = np.linspace(0.05, 3.0, 120)
    lam_pts = np.linspace(0.1, 2.9, 8)
    fixed = {"x": lam.tolist(), "xlabel": "data eigenvalue lam", "threshold": s * t,
             "subtitle": f"fixed variances s={s}, t={t}: bifurcation at lam = s t = {s * t:g}",
             "branches": _branch_curves(lam, lambda x: linear_gaussian_branches(x, s, t)),
             "points": _verified_points(lam_pts, lambda x: models.linear_gaussian(
                 eigenvalues=[x], latent_dim=1, decoder_var=s, encoder_var=t), seed)}
    lam_e = 1.5
    ss = np.linspace(0.05, 3.0, 120)
    s_pts = np.linspace(0.1, 2.9, 8)
    enc = {"x": ss.tolist(), "xlabel": "decoder noise variance s", "threshold": lam_e,
           "subtitle": f"encoder variance learned, lam={lam_e}: PPCA threshold s = lam",
           "branches": _branch_curves(ss, lambda x: linear_gaussian_branches(lam_e, x, None, encoder_learned=True)),
           "points": _verified_points(s_pts, lambda x: models.linear_gaussian(
               eigenvalues=[lam_e], latent_dim=1, decoder_var=x, encoder_var="learned"), seed)}
    fig = plot_bifurcation([fixed, enc], title="One-direction linear-Gaussian pair: reconstruction gain of every "
                                               "equilibrium, closed form vs verify (6 starts)")
    return fig, {"fixed_variances": fixed, "encoder_learned": enc}


# -- (2) phase portrait ---------------------------------------------------------------------------
def phase_portrait(seed: int = 0):
    from ..symbolic import linear_gaussian_branches
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


# -- (4) Jacobian spectra -------------------------------------------------------------------------
def spectra(seed: int = 0):
    from ..verification import verify
    games = [("linear-Gaussian lam=(3,1), k=1, s=0.5, t=0.8", models.linear_gaussian(**LG_ARGS)),
             ("linear-Gaussian lam=3, both variances learned",
              models.linear_gaussian(eigenvalues=[3.0], latent_dim=1, decoder_var="learned", encoder_var="learned")),
             ("Bernoulli bars:2, k=2, rho=0.1", models.bernoulli(**BERN_ARGS)),
             ("tabular random:3:3:0, alpha=0.3, rho=0.1", models.tabular("random:3:3:0", labeled_weight=0.3, l2=0.1)),
             ("tabular random:3:3:0, alpha=0, rho=0", models.tabular("random:3:3:0"))]
    panels, data = {}, {}
    for label, game in games:
        v = verify(game, starts=8, seed=seed)
        cls = []
        for i, c in enumerate(v.classes[:4]):
            r = c.representative
            name = f"class {i}" + (", collapsed" if c.collapsed else "") + (
                f", {c.unexplained_neutral} zero eig." if c.unexplained_neutral else "")
            cls.append((name, r.jacobian_eigenvalues, bool(r.stable)))
        panels[label] = cls
        data[label] = [{"class": n, "stable": s, "eigenvalues": [[float(e.real), float(e.imag)] for e in eig]}
                       for n, eig, s in cls]
    fig = plot_spectra(panels, title="Jacobian eigenvalues at the equilibrium classes found by verify (8 starts); "
                                     "stable = all Re < 0 off the symmetry orbit")
    return fig, data


# -- (7) stochastic vs exact ----------------------------------------------------------------------
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


# -- (6) uniqueness map ---------------------------------------------------------------------------
def _bernoulli_anchored(alpha: float, rho: float, seed: int):
    from ..environment import FiniteJoint
    from ..families import binary_support
    from ..game import Game
    X, Z = binary_support(3), binary_support(1)
    rng = np.random.default_rng(1234)
    lab = FiniteJoint(X, Z, rng.dirichlet(np.full(X.shape[0] * Z.shape[0], 0.5)).reshape(X.shape[0], -1))
    data, prior = lab.marginals()
    base = models.bernoulli(X, weights=data.weights, latent_dim=1)
    return Game(base.decoder, base.encoder, data, prior, labeled=lab, alpha=alpha, rho=rho)


def uniqueness_map(seed: int = 0):
    from ..verification import verify
    alphas, rhos = [0.0, 0.1, 0.4, 1.0], [0.0, 0.03, 0.1, 0.3]
    makers = {"tabular random:3:3:0": lambda a, r: models.tabular("random:3:3:0", labeled_weight=a, l2=r),
              "Bernoulli d=3, k=1, random labelled joint": lambda a, r: _bernoulli_anchored(a, r, seed)}
    panels = {}
    for label, make in makers.items():
        cat = [[None] * len(alphas) for _ in rhos]
        text = [[None] * len(alphas) for _ in rhos]
        for i, r in enumerate(rhos):
            for j, a in enumerate(alphas):
                v = verify(make(a, r), starts=6, seed=seed)
                cat[i][j] = verdict_category(v)
                text[i][j] = f"{len(v.classes)} cl\n{v.escaped} esc"
        panels[label] = {"alphas": alphas, "rhos": rhos, "category": cat, "text": text}
    fig = plot_uniqueness_map(panels, title="verify (6 starts) over labelled weight alpha x L2 penalty rho: "
                                            "classes found (cl) and escaped runs (esc)")
    return fig, panels


# -- (8) consistency ------------------------------------------------------------------------------
def consistency(seed: int = 0):
    from ..verification import verify
    from ..verification.consistency import consistency as cons
    checkpoints = set(np.unique(np.geomspace(1, 3000, 40).astype(int) - 1).tolist())
    along = {}
    for label, game in [("tabular 3x3 alpha=0", models.tabular("random:3:3:0")),
                        ("Bernoulli bars:2 k=2 rho=0.01", models.bernoulli(data="bars:2", latent_dim=2, l2=0.01))]:
        rec = {"steps": [], **{k: [] for k, _ in KEYS}}

        def record(state, info, game=game, rec=rec):
            if state.step in checkpoints:
                c = cons(game, state.params)
                rec["steps"].append(state.step)
                for k, _ in KEYS:
                    rec[k].append(float(getattr(c, k)))

        alg.run(game, alg.simultaneous(game, 0.5), game.init(seed=seed), 3000, callback=record)
        along[label] = rec
    eqs = []
    for label, g in [("bars:2 k=2 rho=0.01", models.bernoulli(data="bars:2", latent_dim=2, l2=0.01)),
                     ("bars:2 k=2 rho=0.1", models.bernoulli(**BERN_ARGS)),
                     ("random:4:0 k=2 rho=0.05", models.bernoulli("random:4:0", latent_dim=2, l2=0.05)),
                     ("tabular 3x3 alpha=0", models.tabular("random:3:3:0")),
                     ("tabular 3x3 alpha=0.3 rho=0.1", models.tabular("random:3:3:0", labeled_weight=0.3, l2=0.1))]:
        v = verify(g, starts=6, seed=seed)
        for i, c in enumerate(v.classes[:3]):
            cc = cons(g, c.representative.params)
            eqs.append({"label": f"{label} #{i}" + (" (coll.)" if c.collapsed else ""),
                        "stable": bool(c.representative.stable), **{k: float(getattr(cc, k)) for k, _ in KEYS}})
    fig = plot_consistency(along, eqs, title="Joint gap TV(J_q, J_p) and stationary gap TV(pi, pi*) of the "
                                             "reconstruction chain K = q p, with the bound 2 TV / (1 - tau(K))")
    return fig, {"along": along, "equilibria": eqs}


def _neural(name: str, seed: int):
    """The neural learner's experiments (they train VAEs: minutes, not seconds)."""
    from . import neural

    return getattr(neural, name)(seed)


FIGURES = {"convergence": convergence, "escape": escape, "bifurcation": bifurcation,
           "phase_portrait": phase_portrait, "spectra": spectra, "stochastic": stochastic,
           "uniqueness_map": uniqueness_map, "consistency": consistency,
           "neural_bars": lambda seed=0: _neural("bars_experiment", seed),
           "neural_digits": lambda seed=0: _neural("digits_experiment", seed),
           "neural_densities": lambda seed=0: _neural("densities_experiment", seed)}


def make(name: str, seed: int = 0):
    """(Figure, JSON-ready data) for one registered figure."""
    if name not in FIGURES:
        raise ValueError(f"figure: unknown name {name!r}; expected one of {', '.join(FIGURES)}")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        fig, data = FIGURES[name](seed)
    return fig, jsonable({"figure": name, "seed": seed, "data": data})


def write(name: str, out, seed: int = 0) -> tuple[Path, Path]:
    """Save ``out/NAME.png`` and ``out/NAME.json``; return both paths."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    fig, data = make(name, seed)
    png, js = out / f"{name}.png", out / f"{name}.json"
    fig.savefig(png, dpi=110, metadata={"Software": None})
    js.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n")
    return png, js
