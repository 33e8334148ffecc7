"""Figures of the equilibria: the bifurcation of the linear-Gaussian pair (closed form against
verify), Jacobian spectra at the classes verify finds, and encoder-decoder consistency (claim 7).
The uniqueness map over (alpha, rho) is a sweep of verify cells: ``expfam_nash.sweep.figures``."""
from __future__ import annotations

import math

import numpy as np

from .. import models
from ..core.jsonable import complex_pairs
from ..dynamics import algorithms as alg
from ..dynamics import solve
from ..symbolic import linear_gaussian_branches
from ..verification import verify
from ..verification.consistency import consistency as cons
from ..plot import plot_bifurcation, plot_consistency, plot_spectra
from ..plot.consistency import KEYS
from .figures import FIGURES
from .games import BERN_ARGS, LG_ARGS

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
    pts = []
    for x in xs:
        v = verify(game_of(x), starts=6, seed=seed)
        for c in v.classes:
            pts.append((float(x), float(np.asarray(c.representative.invariants["gain"])[0]),
                        bool(c.representative.stable)))
    return pts


@FIGURES.register("bifurcation", help="reconstruction gain of every equilibrium: closed form vs verify")
def bifurcation(seed: int = 0):
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


# -- (4) Jacobian spectra -------------------------------------------------------------------------
@FIGURES.register("spectra", help="Jacobian eigenvalues at the equilibrium classes found by verify")
def spectra(seed: int = 0):
    games = [("linear-Gaussian lam=(3,1), k=1, s=0.5, t=0.8", models.linear_gaussian(**LG_ARGS)),
             ("linear-Gaussian lam=3, both variances learned",
              models.linear_gaussian(eigenvalues=[3.0], latent_dim=1, decoder_var="learned", encoder_var="learned")),
             ("Bernoulli bars:2, k=2, rho=0.1", models.bernoulli(**BERN_ARGS)),
             ("tabular random:3:3:0, alpha=0.3, rho=0.1", models.tabular("random:3:3:0", alpha=0.3, rho=0.1)),
             ("tabular random:3:3:0, alpha=0, rho=0", models.tabular("random:3:3:0"))]
    panels, data = {}, {}
    for label, game in games:
        v = verify(game, starts=8, seed=seed)
        cls = []
        for i, c in enumerate(v.classes[:4]):
            r = c.representative
            cont = r.verdicts["continuum"].status.value
            name = f"class {i}" + (", collapsed" if c.collapsed else "") + (
                ", on a certified continuum" if cont == "certified" else
                ", local dimension undecided" if cont == "undecided" else "")
            cls.append((name, r.jacobian_eigenvalues, bool(r.stable)))
        if not v.classes:                      # nothing certified: show where a run ends, labelled as such
            r = solve(game, seed=seed)
            cls.append(("undecided end point (no equilibrium certified)", r.jacobian_eigenvalues, False))
        panels[label] = cls
        data[label] = [{"class": n, "stable": s, "eigenvalues": complex_pairs(eig)} for n, eig, s in cls]
    fig = plot_spectra(panels, title="Floating-point Jacobian eigenvalues at the certified classes found by verify "
                                     "(8 starts); stable = certified, transversally to the orbit or continuum")
    return fig, data


# -- (8) consistency ------------------------------------------------------------------------------
@FIGURES.register("consistency", help="joint gap and stationary gap of the reconstruction chain")
def consistency(seed: int = 0):
    checkpoints = set(np.unique(np.geomspace(1, 3000, 40).astype(int) - 1).tolist())
    along = {}
    for label, game in [("tabular 3x3 alpha=0", models.tabular("random:3:3:0")),
                        ("Bernoulli bars:2 k=2 rho=0.01", models.bernoulli(data="bars:2", latent_dim=2, rho=0.01))]:
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
    for label, g in [("bars:2 k=2 rho=0.01", models.bernoulli(data="bars:2", latent_dim=2, rho=0.01)),
                     ("bars:2 k=2 rho=0.1", models.bernoulli(**BERN_ARGS)),
                     ("random:4:0 k=2 rho=0.05", models.bernoulli("random:4:0", latent_dim=2, rho=0.05)),
                     ("tabular 3x3 alpha=0", models.tabular("random:3:3:0")),
                     ("tabular 3x3 alpha=0.3 rho=0.1", models.tabular("random:3:3:0", alpha=0.3, rho=0.1))]:
        v = verify(g, starts=6, seed=seed)
        for i, c in enumerate(v.classes[:3]):
            cc = cons(g, c.representative.params)
            eqs.append({"label": f"{label} #{i}" + (" (coll.)" if c.collapsed else ""),
                        "stable": bool(c.representative.stable), **{k: float(getattr(cc, k)) for k, _ in KEYS}})
    fig = plot_consistency(along, eqs, title="Joint gap TV(J_q, J_p) and stationary gap TV(pi, pi*) of the "
                                             "reconstruction chain K = q p, with the bound 2 TV / (1 - tau(K))")
    return fig, {"along": along, "equilibria": eqs}


