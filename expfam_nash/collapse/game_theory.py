"""Closed-form equilibria of the symmetric game per mode (proofs/collapse_game.md), NumPy.

The game has no beta. Per mode the players' best responses are regressions (decoder: of the data
on the encoder's samples; encoder: of the prior's samples on the decoder's), so a mode of the VAE
(CVAE: an eigenvalue of the residual moment E) with data eigenvalue lam, prior variance
e = eta_enc^2, decoder variance s = eta_dec^2 and encoder variance v (fixed) has exactly two
equilibria up to sign, the collapsed one and, when it exists, the active one:

    decoder  u = lam w / (lam w^2 + v),   encoder  w = e u / (e u^2 + s),   learned v = e s / (e u^2 + s)
    active iff lam > s v / e (fixed v), lam > s (learned); then u^2 = sqrt(s lam / (v e)) - s / e, resp.
    (lam - s) / e, v = e s / lam.

HVAE mode (sigma1^2 fixed, Sigma2 learned or sigma2^2): level 1 is the fixed-variance VAE game on
lam whose prior variance is the sleep variance of z1, e1 = e u2^2 + s; level 2 is the VAE game on
the wake variance of z1, m1 = lam w1^2 + sigma1^2. Four branches (level 1, level 2 active or not):

    (0, 0) always; (0, 1) iff sigma1^2 > s (learned), sigma1^2 e > s v2 (fixed);
    (1, 0) iff lam > sigma1^2 (e1 = s, m1 = sigma1 sqrt(lam));
    (1, 1) learned: e1 = m1 = sigma1^2 lam / s, iff lam > s and sigma1^2 lam > s^2;
           fixed: e1 = (e sigma1 sqrt(lam s) / v2)^(2/3), m1 = sigma1 sqrt(lam e1 / s), iff lam e1 > sigma1^2 s
           and m1 e > v2 s.

Stability (the game Jacobian in natural parameters): an active VAE mode is stable, a collapsed one
iff lam is below its threshold; at the HVAE's partly collapsed branches the Jacobian is block
diagonal over the levels, so (0, 0), (0, 1), (1, 0) are stable iff both levels are; (1, 1) is stable
where it exists (verified, claim 15). On a threshold the prediction is None (a zero eigenvalue).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._jsonable import jsonable

__all__ = ["Branch", "vae_branches", "hvae_branches", "stable_branch", "THRESHOLD_RTOL"]

#: a margin within THRESHOLD_RTOL of the scale counts as "on the threshold" (stability undecided)
THRESHOLD_RTOL = 1e-9


@dataclass(frozen=True)
class Branch:
    """One equilibrium of a mode's game (one entry per level): ``active`` levels, decoder and
    encoder mean-map magnitudes |u|, |w|, encoder variances, the z-variances each level sees
    (``wake``: data side, ``sleep``: prior side), and the closed-form stability (None on a threshold)."""

    active: tuple[bool, ...]
    decoder: tuple[float, ...]
    encoder: tuple[float, ...]
    variance: tuple[float, ...]
    stable: bool | None

    def summary(self) -> str:
        state = ", ".join("active" if a else "collapsed" for a in self.active)
        stab = {True: "stable", False: "saddle", None: "neutral (on a threshold)"}[self.stable]
        return f"({state}): |u| {self.decoder}, |w| {self.encoder}, variance {self.variance}, {stab}"

    def to_dict(self) -> dict:
        return jsonable({"active": self.active, "decoder": self.decoder, "encoder": self.encoder,
                         "variance": self.variance, "stable": self.stable})


def _below(value: float, threshold: float) -> bool | None:
    """value < threshold (True), > (False), None within THRESHOLD_RTOL of the larger."""
    if abs(value - threshold) <= THRESHOLD_RTOL * max(abs(value), abs(threshold)):
        return None
    return bool(value < threshold)


def vae_level(lam: float, e: float, s: float, v: float | None) -> tuple[float, float, float] | None:
    """(u, w, encoder variance) of the active branch of a VAE mode, None when it does not exist."""
    thr = s if v is None else s * v / e
    if not lam > thr or _below(lam, thr) is None:
        return None
    if v is None:
        u2, var = (lam - s) / e, e * s / lam
    else:
        u2, var = np.sqrt(s * lam / (v * e)) - s / e, v
    u = float(np.sqrt(u2))
    return u, float(e * u / (e * u2 + s)), float(var)


def vae_branches(lam: float, e: float, s: float, v: float | None) -> list[Branch]:
    """The equilibria of one VAE mode: collapsed (stable iff lam below the threshold), active."""
    thr = s if v is None else s * v / e
    out = [Branch((False,), (0.0,), (0.0,), (e if v is None else v,), _below(lam, thr))]
    act = vae_level(lam, e, s, v)
    if act is not None:
        out.append(Branch((True,), (act[0],), (act[1],), (act[2],), True))
    return out


def _level1(lam: float, e1: float, s: float, s1sq: float) -> tuple[float, float, float]:
    """(u1, w1, m1) of level 1 (fixed sigma1^2) with sleep variance e1 of z1; zeros when collapsed."""
    act = vae_level(lam, e1, s, s1sq)
    if act is None:
        return 0.0, 0.0, s1sq
    u1, w1, _ = act
    return u1, w1, lam * w1 ** 2 + s1sq


def _joint_sleep(lam: float, e: float, s: float, s1sq: float, v2: float | None) -> float | None:
    """e1 of the (1, 1) branch, None when it does not exist."""
    if v2 is None:
        e1 = s1sq * lam / s
        ok = lam > s and s1sq * lam > s * s
    else:
        e1 = (e * np.sqrt(s1sq * lam * s) / v2) ** (2.0 / 3.0)
        m1 = np.sqrt(s1sq * lam * e1 / s)
        ok = lam * e1 > s1sq * s and m1 * e > v2 * s
    return float(e1) if ok else None


def hvae_branches(lam: float, e: float, s: float, s1sq: float, v2: float | None, covered: bool = True) -> list[Branch]:
    """The equilibria of one HVAE mode (``covered``: the mode has a level-2 latent)."""
    if not covered:
        return [Branch((b.active[0], False), (b.decoder[0], 0.0), (b.encoder[0], 0.0), (s1sq, np.nan), b.stable)
                for b in vae_branches(lam, s, s, s1sq)]
    out = []
    top = v2 is None
    level2_thr = s if top else s * v2 / e                         # on m1 (wake variance of z1)
    for a1, a2 in ((False, False), (False, True), (True, False), (True, True)):
        if a1 and a2:
            e1 = _joint_sleep(lam, e, s, s1sq, v2)
            if e1 is None:
                continue
        elif a2:
            lv = vae_level(s1sq, e, s, v2)
            if lv is None:
                continue
            e1 = e * lv[0] ** 2 + s
        else:
            e1 = s
        u1, w1, m1 = _level1(lam, e1, s, s1sq) if a1 else (0.0, 0.0, s1sq)
        if a1 and u1 == 0.0:
            continue
        lv = vae_level(m1, e, s, v2) if a2 else None
        if a2 and lv is None:
            continue
        u2, w2, var2 = lv if a2 else (0.0, 0.0, e if top else v2)
        if a1 and a2:
            stable = True
        else:
            st1 = True if a1 else _below(lam * e1, s1sq * s)
            st2 = True if a2 else _below(m1, level2_thr)
            # block-diagonal Jacobian: one strictly unstable level makes a saddle, whatever the other
            stable = False if False in (st1, st2) else (None if None in (st1, st2) else True)
        out.append(Branch((a1, a2), (u1, u2), (w1, w2), (s1sq, var2), stable))
    return out


def stable_branch(branches: list[Branch]) -> Branch | None:
    """The unique branch predicted stable, or None (none, or several: the claim would fail)."""
    stable = [b for b in branches if b.stable]
    return stable[0] if len(stable) == 1 else None
