"""Ball enclosures of the invariants (quantities that do not see the latent labelling) over a
box of parameters, and a certified test that two equilibria are distinct up to symmetry.

Every latent symmetry maps an equilibrium to one with the same invariants, so two certified
equilibria whose invariant enclosures are disjoint in some entry are distinct equilibria, and not
images of each other under a symmetry. Enclosed invariants (ball arithmetic, as :mod:`.formulas`):

* finite pairs: the reconstruction kernel K(x'|x) = sum_z q(z|x) p(x'|z) and the decoder's data
  marginal sum_z pi(z) p(x|z), on the data rows;
* the linear-Gaussian pair: the reconstruction mean map W V and offset W c + b (channels
  x = W z + b + noise, z = V x + c + noise; learned variances through their natural parameters);
* network games: the decoder's moment of the observed blocks and the reconstruction map through each
  latent block (``network.network_invariants``).
"""
from __future__ import annotations

import numpy as np

from .adapters import FiniteArrays, NetworkArrays, Unsupported
from .ball import Ball, grow
from .enclosure import Enclosure, OutsideDomain
from .formulas import _channel, _family
from .network import network_invariants


def _finite(fa: FiniteArrays, theta: Ball, phi: Ball) -> dict:
    _, dec_table = _family(Ball, fa.fam_p, fa.psi_Z @ theta.T)
    _, enc_table = _family(Ball, fa.fam_q, fa.chi_X @ phi.T)
    x_key = fa.T_X if fa.fam_p == "bernoulli" else fa.cls_X
    z_key = fa.S_Z if fa.fam_q == "bernoulli" else fa.cls_Z
    rows = np.unique(fa.data_index)
    q = enc_table(z_key).swap_last()[rows]                  # q(z|x) on the data rows: (rows, nz)
    p = dec_table(x_key)[rows]                              # p(x'|z) on the data rows: (rows, nz)
    prior = np.zeros(fa.S_Z.shape[0])
    np.add.at(prior, fa.prior_index, fa.pi_P)
    return {"kernel": q @ p.swap_last(), "decoder_marginal": p @ Ball.exact(prior)}


def _gaussian(ga, theta: Ball, phi: Ball) -> dict:
    G, _ = _channel(Ball, theta, ga.dec_var, ga.d)          # decoder mean = G (z, 1): (d, k+1)
    H, _ = _channel(Ball, phi, ga.enc_var, ga.k)            # encoder mean = H (x, 1): (k, d+1)
    W, b, V, c = G[:, :ga.k], G[:, ga.k], H[:, :ga.d], H[:, ga.d]
    return {"mean_map": W @ V, "mean_offset": W @ c.reshape(-1, 1) + b.reshape(-1, 1)}


def invariant_enclosure(game, center: np.ndarray, radius: np.ndarray | None = None) -> dict | None:
    """{name: Ball} containing each invariant at every point of center +- radius (flat layout),
    or None when the game has no exact model or the box leaves the domain."""
    try:
        enc = Enclosure(game, "ball")
        theta, phi = enc._inputs(center, radius)
        enc._check_domain(theta, phi)
        if isinstance(enc.arrays, FiniteArrays):
            return _finite(enc.arrays, theta, phi)
        if isinstance(enc.arrays, NetworkArrays):
            return network_invariants(Ball, enc.arrays, theta, phi)
        return _gaussian(enc.arrays, theta, phi)
    except (Unsupported, OutsideDomain):
        return None


def certified_distinct(a: dict | None, b: dict | None) -> tuple[bool, str]:
    """(True, which entry) when some invariant entry's enclosures are disjoint."""
    if a is None or b is None:
        return False, "no invariant enclosure"
    for key in a:
        if key not in b:
            continue
        gap = np.abs(a[key].mid - b[key].mid)
        spread = grow(a[key].rad + b[key].rad, 1)
        apart = gap > spread
        if np.any(apart):
            i = np.unravel_index(int(np.argmax(np.where(apart, gap - spread, -np.inf))), gap.shape)
            return True, (f"{key}{[int(j) for j in i]} differs by {float(gap[i]):.3g}, more than the enclosures' "
                          f"radii {float(spread[i]):.2g}")
    return False, "every invariant enclosure overlaps"
