"""Equilibria on a continuous symmetry orbit (rotations of an isotropic Gaussian latent).

There J T = 0 exactly (T the orbit's tangents) and Krawczyk on all coordinates cannot succeed.
Route: a finite group H of coordinate sign flips that are EXACT symmetries of the game (flipping
data axis b needs mean_b = 0 and cov[b, b'] = 0; flipping latent unit a likewise for the prior).
g is H-equivariant (g(h v) = h g(v), h orthogonal), so it maps the fixed-point subspace
Fix(H) = {v : h v = v} into itself and a zero of g restricted to Fix(H) is a zero of g. The
group is chosen from the point: after rotating the latent frame to the right singular vectors of
the decoder weights, latent unit a is paired with the data axis its column is aligned with
(flip both together), unpaired units and data axes flip alone. The rotation tangents are then
transversal to Fix(H), Krawczyk on Fix(H) certifies an isolated zero v* there, and the spectrum
transversal to the orbit follows from :mod:`.quotient`. Any choice of H is sound; a bad choice
only makes the test fail.
"""
from __future__ import annotations

import numpy as np

from ..game import is_network
from . import adapters
from .ball import Ball
from .linalg import product


def tangents(gens: list[np.ndarray], v: np.ndarray) -> np.ndarray:
    return np.column_stack([xi @ v for xi in gens]) if gens else np.zeros((v.size, 0))


def orbit_rank(gens: list[np.ndarray], v: np.ndarray) -> int:
    """Floating-point dimension of the orbit through v (relative threshold; used only to choose
    the route, never as a verdict)."""
    T = tangents(gens, v)
    if T.size == 0:
        return 0
    s = np.linalg.svd(T, compute_uv=False)
    scale = max(float(np.linalg.norm(v)), 1e-300)
    return int(np.sum(s > 1e-8 * scale))


def align(game, v: np.ndarray) -> np.ndarray:
    """Rotate the latent frame so that the decoder's weight columns are orthogonal (SVD of the
    first d rows of theta restricted to the latent columns); floating point. Network games:
    :func:`.network_orbits.align`."""
    if is_network(game):
        from .network_orbits import align as network_align
        return network_align(game, v)
    th, ph = adapters.split(game, v)
    d, k = game.decoder.family.dim, game.encoder.family.dim
    _, _, vt = np.linalg.svd(th[:d, :k])
    rot = vt.T                                   # k x k
    th = th.copy()
    ph = ph.copy()
    th[:, :k] = th[:, :k] @ rot
    ph[:k] = rot.T @ ph[:k]
    return game.layout.flatten(th * game.decoder.mask, ph * game.encoder.mask)


def fixed_coordinates(game, v: np.ndarray, flips: dict) -> np.ndarray | None:
    """Indices of Fix(H) for the group chosen from the aligned point v, or None when a needed
    flip is not an exact symmetry. Network games: :func:`.network_orbits.fixed_coordinates`."""
    if is_network(game):
        from .network_orbits import fixed_coordinates as network_fixed
        return network_fixed(game, v, flips)
    th, _ = adapters.split(game, v)
    d, k = game.decoder.family.dim, game.encoder.family.dim
    W = th[:d, :k]
    norms = np.linalg.norm(W, axis=0)
    top = float(norms.max(initial=0.0))
    gens, used_x = [], set()
    for a in range(k):
        if top > 0 and norms[a] > 1e-6 * top:
            b = int(np.argmax(np.abs(W[:, a])))
            if ("z", a) not in flips or ("x", b) not in flips or b in used_x:
                return None
            used_x.add(b)
            gens.append(flips[("z", a)] * flips[("x", b)])
        else:
            if ("z", a) not in flips:
                return None
            gens.append(flips[("z", a)])
    for b in range(d):
        if b not in used_x:
            if ("x", b) not in flips:
                return None
            gens.append(flips[("x", b)])
    fixed = np.all(np.array(gens) > 0, axis=0)
    return np.nonzero(fixed)[0]


def tangent_ball(gens: list[np.ndarray], center: np.ndarray, radius: np.ndarray) -> Ball:
    """Ball enclosure of the tangents xi v over the box center +- radius (xi exact)."""
    vb = Ball(center[:, None], radius[:, None])
    cols = [product(xi, vb) for xi in gens]
    return Ball.concatenate(cols, axis=1) if cols else Ball(np.zeros((center.size, 0)))


def structural_nonzero(gens: list[np.ndarray], fixed: np.ndarray, T: Ball) -> tuple[list[int], bool]:
    """Tangent columns to keep: those certainly nonzero on the box. A column that vanishes
    identically on Fix(H) (xi restricted to Fix(H) is 0) is dropped. Returns (kept, all decided)."""
    keep, decided = [], True
    for i, xi in enumerate(gens):
        if not np.any(xi[:, fixed]):
            continue
        col = T[:, i]
        if np.any(col.lower_abs() > 0):
            keep.append(i)
        else:
            decided = False
    return keep, decided


def isotypic_blocks(center: np.ndarray, flips: dict) -> list[np.ndarray]:
    """Coordinate blocks on which J(v*) is block diagonal, from the exact sign-flip symmetries.

    The flips that fix ``center`` (it is 0 on every coordinate they negate) form a group H; a box
    centred at ``center`` is H-invariant, so the unique zero v* that Krawczyk certifies in it is
    H-fixed and J(v*) commutes with every h in H: J_ij = 0 unless coordinates i and j carry the same
    character of H. Coordinate i's character is its flip vector f_i over GF(2) (which generators
    negate it) modulo W = span{f_j : center_j != 0}. Returns the blocks (one block: no structure)."""
    if not flips:
        return [np.arange(center.size)]
    F = (np.array(list(flips.values())) < 0).astype(np.uint8).T            # (n, generators) over GF(2)
    basis: list[tuple[int, np.ndarray]] = []                                 # reduced echelon form of W
    for row in F[center != 0]:
        row = _reduce(row.copy(), basis)
        if row.any():
            lead = int(np.argmax(row))
            basis = [(p, b ^ row) if b[lead] else (p, b) for p, b in basis] + [(lead, row)]
    keys: dict[bytes, list[int]] = {}
    for i, row in enumerate(F):
        keys.setdefault(_reduce(row.copy(), basis).tobytes(), []).append(i)
    return [np.array(v) for v in keys.values()]


def _reduce(row: np.ndarray, basis) -> np.ndarray:
    """The canonical representative of row modulo span(basis) over GF(2) (basis in reduced
    echelon form: (pivot, vector) pairs, each pivot a 1 in exactly one basis vector)."""
    for lead, b in basis:
        if row[lead]:
            row ^= b
    return row
