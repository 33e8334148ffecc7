"""Closed-form equilibria of the linear-Gaussian pair per eigen-direction (proofs/linear_gaussian.md).

One direction: x ~ (0, lam), prior N(0, 1), decoder N(w z + b, s), encoder N(v x + c, t).
Every equilibrium has b = c = 0 and is one of (``branch_expressions``):

  mode (learned)   collapsed (w = v = 0)             nontrivial (+-w, v = w / (w^2 + s))          exists iff
  none             s, t given                          w^2 = sqrt(s lam / t) - s                      lam > s t
  decoder          s = lam                             s = lam t, w^2 = lam (1 - t)                   t < 1
  encoder          t = 1                               t = s / lam, w^2 = lam - s                     lam > s
  both             s = lam, t = 1 (end of continuum)   continuum w^2 + s = lam, t = s / lam, 0 < s <= lam

Stability (eigenvalues of the engine's Jacobian in natural coordinates, biases included):
collapsed stable iff lam < s t / t > 1 / lam < s (fixed / decoder / encoder learned); every
nontrivial branch is stable where it exists; with both learned the continuum has exactly one
zero eigenvalue (along it) and all others negative. Reconstruction gain w v:
1 - sqrt(s t / lam), 1 - t, 1 - s / lam, 1 - s / lam (collapsed: 0).
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import sympy as sp

from .core import lambdify_game
from .linear_gaussian import natural_parameters_1d, one_dimensional_game

__all__ = ["LAM", "S", "T", "Branch", "branch_expressions", "linear_gaussian_branches", "reconstruction_gain",
           "collapse_threshold", "ppca_ml", "elbo_1d"]

LAM, S, T = sp.symbols("lam s t", positive=True)


def branch_expressions(decoder_learned: bool, encoder_learned: bool) -> dict[str, dict[str, sp.Expr]]:
    """{branch: {w, v, s, t, exists}} as sympy expressions in (lam, s, t); w >= 0 (the mirror
    branch -w, -v is the z -> -z symmetry). For both learned, the continuum is parametrised by s."""
    if not decoder_learned and not encoder_learned:
        w2, s, t, exists = sp.sqrt(S * LAM / T) - S, S, T, LAM > S * T
        coll = dict(s=S, t=T)
    elif decoder_learned and not encoder_learned:
        w2, s, t, exists = LAM * (1 - T), LAM * T, T, T < 1
        coll = dict(s=LAM, t=T)
    elif encoder_learned and not decoder_learned:
        w2, s, t, exists = LAM - S, S, S / LAM, LAM > S
        coll = dict(s=S, t=sp.Integer(1))
    else:
        w2, s, t, exists = LAM - S, S, S / LAM, sp.And(S > 0, S < LAM)
        coll = dict(s=LAM, t=sp.Integer(1))
    w = sp.sqrt(w2)
    return {"collapsed": dict(w=sp.Integer(0), v=sp.Integer(0), exists=sp.true, **coll),
            "nontrivial": dict(w=w, v=w / (w2 + s), s=s, t=t, exists=exists)}


@dataclass(frozen=True)
class Branch:
    """One equilibrium of the 1-D game. ``theta``/``phi``: engine natural parameters;
    ``eigenvalues`` of the engine's Jacobian there; ``stable``: all real parts < 0;
    ``neutral``: number of zero eigenvalues (a continuum has one)."""

    name: str
    w: float
    v: float
    s: float
    t: float
    theta: np.ndarray
    phi: np.ndarray
    eigenvalues: np.ndarray
    stable: bool
    neutral: int

    @property
    def gain(self) -> float:
        """Reconstruction gain w v (the engine's invariants['gain'])."""
        return self.w * self.v


@lru_cache(maxsize=None)
def _numeric_1d(decoder_learned: bool, encoder_learned: bool):
    g = one_dimensional_game(LAM, S, T, decoder_learned, encoder_learned)
    return g, lambdify_game(g)


def _jacobian_1d(theta, phi, lam, s, t, decoder_learned, encoder_learned) -> np.ndarray:
    g, num = _numeric_1d(decoder_learned, encoder_learned)
    vec = np.concatenate([np.asarray(theta, float)[g.theta_mask], np.asarray(phi, float)[g.phi_mask]])
    consts = {LAM: lam, S: s, T: t}
    return num.jacobian(vec, *[consts[c] for c in g.constants])


def linear_gaussian_branches(lam: float, s: float | None = None, t: float | None = None,
                             decoder_learned: bool = False, encoder_learned: bool = False,
                             tol: float = 1e-9) -> list[Branch]:
    """All equilibria (w >= 0 representative of each +-w pair) of one eigen-direction that exist
    for these values. Learned variances ignore the given s / t, except that with both learned
    ``s`` picks the member of the continuum (default lam / 2)."""
    lam = float(lam)
    if decoder_learned and encoder_learned:
        s = lam / 2 if s is None else float(s)
        t = 1.0 if t is None else float(t)
    s = 1.0 if s is None else float(s)
    t = 1.0 if t is None else float(t)
    out = []
    for name, br in branch_expressions(decoder_learned, encoder_learned).items():
        vals = {LAM: lam, S: s, T: t}
        if not bool(br["exists"].subs(vals)):
            continue
        w, v, bs, bt = (float(br[key].subs(vals)) for key in ("w", "v", "s", "t"))
        theta, phi = natural_parameters_1d(w, 0.0, v, 0.0, bs, bt, decoder_learned, encoder_learned)
        theta, phi = np.array(theta, float), np.array(phi, float)
        eig = np.linalg.eigvals(_jacobian_1d(theta, phi, lam, s, t, decoder_learned, encoder_learned))
        scale = max(1.0, float(np.abs(eig).max()))
        neutral = int(np.sum(np.abs(eig) <= tol * scale))
        out.append(Branch(name, w, v, bs, bt, theta, phi, eig, bool(np.all(eig.real < -tol * scale)), neutral))
    return out


def reconstruction_gain(lam: float, s: float | None = None, t: float | None = None, decoder_learned: bool = False,
                        encoder_learned: bool = False) -> dict[str, float]:
    """{branch: w v} for the branches that exist (closed form: see module docstring)."""
    return {b.name: b.gain for b in linear_gaussian_branches(lam, s, t, decoder_learned, encoder_learned)}


def collapse_threshold(s: float | None = None, t: float | None = None, decoder_learned: bool = False,
                       encoder_learned: bool = False) -> tuple[str, float | None]:
    """Where a direction stops being collapsed: ('lam', s t) fixed; ('t', 1) decoder learned
    (nontrivial iff t < 1, whatever lam); ('lam', s) encoder learned (PPCA); ('none', None) both
    learned (a continuum for every lam; the collapsed point is its end)."""
    if decoder_learned and encoder_learned:
        return ("none", None)
    if decoder_learned:
        return ("t", 1.0)
    if encoder_learned:
        return ("lam", float(s))
    return ("lam", float(s) * float(t))


def ppca_ml(lam: float, s: float | None = None) -> tuple[float, float] | str:
    """Maximum likelihood for x = w z + N(0, s), z ~ N(0, 1), Var x = lam: (w^2, s).
    Fixed s: w^2 = max(0, lam - s). Learned s: only w^2 + s = lam is identified (a continuum)."""
    if s is None:
        return "continuum: w^2 + s = lam"
    return (max(0.0, float(lam) - float(s)), float(s))


def elbo_1d(w, v, s, t, lam) -> sp.Expr:
    """ELBO of one direction for decoder N(w z, s), encoder N(v x, t), prior N(0, 1), E x^2 = lam:
    E log p(x|z) + E log p(z) + H(q) = -(lam (1 - w v)^2 + w^2 t) / (2 s) - log(2 pi s) / 2
    - (v^2 lam + t) / 2 - log(2 pi) / 2 + log(2 pi e t) / 2."""
    return (-(lam * (1 - w * v) ** 2 + w ** 2 * t) / (2 * s) - sp.log(2 * sp.pi * s) / 2
            - (v ** 2 * lam + t) / 2 - sp.log(2 * sp.pi) / 2 + sp.log(2 * sp.pi * sp.E * t) / 2)
