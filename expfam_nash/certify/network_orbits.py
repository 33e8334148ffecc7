"""The symmetries of a network game as the certifier's routes need them (the network counterpart of
``adapters.rotation_generators``/``flip_signs`` and ``orbits.align``/``fixed_coordinates``).

* exact rotations: a latent block isotropic wherever it is a root and generated only by factors with
  a fixed isotropic variance; z -> exp(s Omega) z maps target rows A -> R A and parent columns A -> A R'
  (learned precisions are untouched), a linear map xi of the flat parameters;
* exact sign flips: one coordinate of a block whose moment row has no off-diagonal entry in every phase
  where the block is a root (generated coordinates have diagonal noise); a mean-map entry (target
  coordinate i, parent coordinate j) changes sign with i or j, a precision never;
* ``align``: each exactly rotatable block rotated to the eigenvectors of Sigma_wake[b, b] + c Sigma_sleep[b, b]
  (c = 0.618..., which separates units that one phase alone leaves tied);
* ``fixed_coordinates``: H = the flips (over GF(2)) fixing the point, Fix(H) = the coordinates every h in H fixes.
Any choice is sound (g maps Fix(H) into itself); a poor one only makes the Krawczyk test fail.
"""
from __future__ import annotations

import numpy as np

__all__ = ["rotation_generators", "flip_signs", "align", "fixed_coordinates"]

GOLDEN = (np.sqrt(5.0) - 1.0) / 2.0


def _index(game, player: str) -> np.ndarray:
    """Flat index of every entry of the player's matrix (-1 off the mask)."""
    mask = game.decoder.mask if player == "decoder" else game.encoder.mask
    out = np.full(mask.shape, -1, dtype=np.int64)
    start = 0 if player == "decoder" else game.layout.n_theta
    out[mask] = start + np.arange(int(mask.sum()))
    return out


def _exact_blocks(game) -> list[str]:
    gens = lambda b: [f for p in ("decoder", "encoder") for f in game.network.factors(p) if f.target == b]
    return [b for b in game.rotatable_blocks() if all(not f.learned for f in gens(b))]


def _entries(game, block: str):
    """(player, layout, 'row' or 'col', offset) for every factor touching ``block``."""
    net = game.network
    for player in ("decoder", "encoder"):
        for lay in net.layouts[player]:
            if lay.factor.target == block:
                yield player, lay, "row", 0
            start = 0
            for parent in lay.factor.parents:
                if parent == block:
                    yield player, lay, "col", start
                start += net.offsets[parent][1]


def _apply(game, v: np.ndarray, block: str, R: np.ndarray, generator: bool) -> np.ndarray:
    """The parameters after z_block -> R^T z_block (``generator``: the tangent A -> Omega A, A -> -A Omega
    for an antisymmetric R = Omega, i.e. the orbit's tangent)."""
    p = game.unflatten(v)
    mats = {"decoder": np.array(p.theta), "encoder": np.array(p.phi)}
    out = {k: (np.zeros_like(m) if generator else m.copy()) for k, m in mats.items()}
    for player, lay, kind, off in _entries(game, block):
        src = mats[player][lay.row:lay.row + lay.n, lay.col:lay.col + lay.m]
        dst = out[player][lay.row:lay.row + lay.n, lay.col:lay.col + lay.m]
        n = R.shape[0]
        if kind == "row":
            dst[:] += R @ src if generator else R.T @ src - src
        else:
            cols = src[:, off:off + n]
            dst[:, off:off + n] += -cols @ R if generator else cols @ R - cols
    return game.layout.flatten(out["decoder"], out["encoder"])


def rotation_generators(game) -> list[np.ndarray]:
    """Exact linear maps xi (N x N), tangent = xi v, of the exact latent rotations: for the rotation of
    units a < c (Omega[a, c] = -1, Omega[c, a] = 1), target rows give d A[a] = -A[c], d A[c] = A[a] and
    parent columns d A[:, a] = -A[:, c], d A[:, c] = A[:, a]."""
    size = game.layout.size
    idx = {p: _index(game, p) for p in ("decoder", "encoder")}
    gens = []
    for block in _exact_blocks(game):
        k = game.network.offsets[block][1]
        for a in range(k):
            for c in range(a + 1, k):
                xi = np.zeros((size, size))
                for player, lay, kind, off in _entries(game, block):
                    blk = idx[player][lay.row:lay.row + lay.n, lay.col:lay.col + lay.m]
                    if kind == "row":
                        xi[blk[a], blk[c]] -= 1.0
                        xi[blk[c], blk[a]] += 1.0
                    else:
                        xi[blk[:, off + a], blk[:, off + c]] -= 1.0
                        xi[blk[:, off + c], blk[:, off + a]] += 1.0
                gens.append(xi)
    return gens


def _flippable(net, block: str, i: int) -> bool:
    for ph in (net.wake, net.sleep):
        if block in ph.roots:
            pos = net.root_positions(ph, block)[i]
            row = np.delete(ph.moment[pos], pos)
            if np.any(row != 0):
                return False
    return True


def flip_signs(game) -> dict:
    """{(block, coordinate): sign vector over the flat layout} of the exact single-coordinate flips."""
    net = game.network
    out = {}
    for block, n in net.blocks:
        for i in range(n):
            if not _flippable(net, block, i):
                continue
            signs = np.ones(game.layout.size)
            target = net.offsets[block][0] + i
            for player in ("decoder", "encoder"):
                idx = _index(game, player)
                for lay in net.layouts[player]:
                    blk = idx[lay.row:lay.row + lay.n, lay.col:lay.col + lay.m]
                    rows = lay.target_index == target
                    cols = lay.parent_index == target
                    sel = np.zeros(blk.shape, bool)
                    sel[rows, :] ^= True
                    sel[:, cols] ^= True
                    signs[blk[sel]] = -1.0
            out[(block, i)] = signs
    return out


def align(game, v: np.ndarray) -> np.ndarray:
    """``v`` with every exactly rotatable latent block turned to the eigenvectors of
    Sigma_wake[b, b] + 0.618 Sigma_sleep[b, b] (floating point; invariants unchanged)."""
    out = np.array(v, dtype=np.float64)
    for block in _exact_blocks(game):
        wake, sleep = game.phases(game.unflatten(out))
        idx = game.network.index(block)
        M = wake.sigma[np.ix_(idx, idx)] + GOLDEN * sleep.sigma[np.ix_(idx, idx)]
        _, R = np.linalg.eigh(0.5 * (M + M.T))
        out = _apply(game, out, block, R[:, ::-1], False)
    return out


def _kernel_gf2(rows: np.ndarray) -> np.ndarray:
    """A basis (rows) of {h : rows h = 0 over GF(2)}."""
    m = rows.astype(np.uint8) % 2
    g = m.shape[1]
    pivots, r = [], 0
    for col in range(g):
        hit = np.nonzero(m[r:, col])[0] if r < m.shape[0] else []
        if len(hit) == 0:
            continue
        m[[r, r + hit[0]]] = m[[r + hit[0], r]]
        for i in range(m.shape[0]):
            if i != r and m[i, col]:
                m[i] ^= m[r]
        pivots.append(col)
        r += 1
    free = [c for c in range(g) if c not in pivots]
    basis = []
    for f in free:
        h = np.zeros(g, np.uint8)
        h[f] = 1
        for i, pc in enumerate(pivots):
            h[pc] = m[i, f]
        basis.append(h)
    return np.array(basis, dtype=np.uint8).reshape(len(basis), g)


def fixed_coordinates(game, v: np.ndarray, flips: dict, rtol: float = 1e-8) -> np.ndarray | None:
    """Indices of Fix(H), H the flips fixing ``v`` (entries below rtol of their player's largest count as 0)."""
    if not flips:
        return None
    F = (np.array(list(flips.values())) < 0).astype(np.uint8).T            # (n, generators)
    n_theta = game.layout.n_theta
    scale = np.empty(v.size)
    scale[:n_theta] = np.abs(v[:n_theta]).max(initial=0.0)
    scale[n_theta:] = np.abs(v[n_theta:]).max(initial=0.0)
    nonzero = np.abs(v) > rtol * scale
    H = _kernel_gf2(F[nonzero])
    if H.size == 0:
        return np.arange(v.size)
    return np.nonzero(np.all((F.astype(np.int64) @ H.T.astype(np.int64)) % 2 == 0, axis=1))[0]
