"""Latent rotations of a network game and the invariants by which its equilibria are compared.

A rotation z -> R z of a latent block maps every factor with target z to R A (rows), every factor
with z among its parents to A R^T (columns); it maps equilibria to equilibria when the block is
isotropic wherever it is a root and its noise is isotropic wherever it is generated (fixed
isotropic variances, or learned ones that coincide on the rotated units). The invariants do not
see any latent labelling: the decoder's model of the observed blocks, the reconstruction maps
through each latent block, and the spectra of each latent block's moments.
"""
from __future__ import annotations

import numpy as np

from ..params import Params
from . import factor as fm

__all__ = ["rotation_tangents", "invariants"]


def _equal_noise(game, p: Params, block: str, a: int, c: int) -> bool:
    for player, par in (("decoder", p.theta), ("encoder", p.phi)):
        for lay in game.network.layouts[player]:
            if lay.factor.target == block and lay.factor.learned:
                v = fm.channel(lay, lay.block(par))[1]
                if not np.isclose(v[a], v[c], rtol=1e-9, atol=0.0):
                    return False
    return True


def _tangent(game, p: Params, block: str, omega: np.ndarray) -> np.ndarray:
    net = game.network
    out = []
    for player, par in (("decoder", p.theta), ("encoder", p.phi)):
        d = np.zeros(par.shape)
        for lay in net.layouts[player]:
            src, dst = lay.block(par), lay.block(d)
            if lay.factor.target == block:
                dst[:, :lay.m] += omega @ src[:, :lay.m]
            start = 0
            for parent in lay.factor.parents:
                n = net.offsets[parent][1]
                if parent == block:
                    dst[:, start:start + n] -= src[:, start:start + n] @ omega
                start += n
        out.append(d)
    return game.layout.flatten(*out)


def rotation_tangents(game, p: Params) -> np.ndarray:
    """Columns: the tangents of the exact latent rotations at ``p`` (flat layout)."""
    cols = []
    for block in game.rotatable_blocks():
        k = game.network.offsets[block][1]
        for a in range(k):
            for c in range(a + 1, k):
                if not _equal_noise(game, p, block, a, c):
                    continue
                omega = np.zeros((k, k))
                omega[a, c], omega[c, a] = -1.0, 1.0
                cols.append(_tangent(game, p, block, omega))
    return np.array(cols).T if cols else np.zeros((game.layout.size, 0))


def invariants(game, p: Params) -> dict:
    """``model_moment``: the decoder's second moment of the observed blocks (sleep phase);
    ``reconstruction <b>``: the mean map observed -> b (encoder) -> observed (decoder);
    ``wake spectrum <b>`` / ``sleep spectrum <b>``: eigenvalues (descending) of b's second moment."""
    net = game.network
    wake, sleep = game.phases(p)
    obs = net.indices(net.wake.roots)
    out = {"model_moment": sleep.sigma[np.ix_(obs, obs)]}
    for b in net.latent_blocks:
        idx = net.index(b)
        out[f"reconstruction {b}"] = sleep.L[np.ix_(obs, idx)] @ wake.L[np.ix_(idx, obs)]
        out[f"wake spectrum {b}"] = np.sort(np.linalg.eigvalsh(wake.sigma[np.ix_(idx, idx)]))[::-1]
        out[f"sleep spectrum {b}"] = np.sort(np.linalg.eigvalsh(sleep.sigma[np.ix_(idx, idx)]))[::-1]
    return out
