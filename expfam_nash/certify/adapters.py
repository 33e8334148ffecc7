"""The ONE place where the certifier reads a :class:`~expfam_nash.game.Game`.

Everything else in ``expfam_nash.certify`` works on the plain arrays returned here, so adapting
to a redesign of the game engines touches this file only:

* :class:`FiniteArrays`: a game on finite X and Z (Bernoulli or categorical families, any lifts
  given as feature tables, data and prior weights, labelled table, alpha, rho, masks);
* :class:`GaussianArrays`: the linear-Gaussian pair (moments, fixed or learned variances);
* :class:`NetworkArrays`: a network game (``game.network``: its plain structure, blocks, factors,
  phase moments);
* floating-point gradient / Jacobian / best responses through the game's public API;
* the game's symmetries as exact linear maps on the flat parameter vector;
* the positively weighted pairs a recession direction must respect, and the LP that finds one.

All arrays are the game's own binary64 numbers, which the certifier treats as exact reals.
"""
from __future__ import annotations

import weakref
from dataclasses import dataclass

import numpy as np

from ..environment import Finite, Gaussian
from ..families import Affine, Bernoulli, Categorical, GaussianFixed, GaussianLearned
from ..game import Game, Params, is_network
from ..game.recession import NotDecided, recession_direction
from . import network_orbits


class Unsupported(ValueError):
    """The certifier has no exact model of this game (the verdict is then undecided)."""


@dataclass(frozen=True, eq=False)
class FiniteArrays:
    """A finite game. Decoder family over X (``fam_p``), encoder family over Z (``fam_q``), each
    "bernoulli" or "categorical" (h = 1). Rows of ``T_X``/``chi_X`` enumerate X, rows of
    ``S_Z``/``psi_Z`` enumerate Z. Data: rows ``data_index`` of X with weights ``pi_D``; prior:
    rows ``prior_index`` of Z with weights ``pi_P`` (repeats allowed: sums stay exact);
    ``lab``: the labelled joint as an (|X|, |Z|) table (or None); the labelled weight is ``alpha``."""

    fam_p: str
    fam_q: str
    T_X: np.ndarray
    chi_X: np.ndarray
    S_Z: np.ndarray
    psi_Z: np.ndarray
    cls_X: np.ndarray          # class index of each x (categorical decoder), else unused
    cls_Z: np.ndarray
    data_index: np.ndarray
    pi_D: np.ndarray
    prior_index: np.ndarray
    pi_P: np.ndarray
    lab: np.ndarray | None
    alpha: float
    rho: float
    pen_p: np.ndarray          # (m, k) 0/1: coordinates the L2 penalty acts on
    pen_q: np.ndarray
    mask_p: np.ndarray         # (m, k) bool: free coordinates
    mask_q: np.ndarray

    @property
    def size(self) -> int:
        return int(self.mask_p.sum() + self.mask_q.sum())

    @property
    def pairs(self) -> int:
        return self.T_X.shape[0] * self.S_Z.shape[0]

    @property
    def one_hot(self) -> bool:
        """Both lifts are one-hot tables and both families categorical (a tabular pair)."""
        return (self.fam_p == self.fam_q == "categorical"
                and _is_identity(self.psi_Z) and _is_identity(self.chi_X))


@dataclass(frozen=True, eq=False)
class GaussianArrays:
    """The linear-Gaussian pair: decoder N(W z + b, S), encoder N(V x + c, T), affine lifts.
    ``dec_var``/``enc_var``: a fixed isotropic variance or None (learned diagonal). Data: either
    Gaussian moments (``data_mean``, ``data_cov``) or weighted points (``data_points``,
    ``data_weights``); prior N(prior_mean, prior_cov); labelled joint (x first) or None."""

    d: int
    k: int
    dec_var: float | None
    enc_var: float | None
    data_mean: np.ndarray | None
    data_cov: np.ndarray | None
    data_points: np.ndarray | None
    data_weights: np.ndarray | None
    prior_mean: np.ndarray
    prior_cov: np.ndarray
    lab_mean: np.ndarray | None
    lab_cov: np.ndarray | None
    alpha: float
    rho: float
    mask_p: np.ndarray
    mask_q: np.ndarray

    @property
    def size(self) -> int:
        return int(self.mask_p.sum() + self.mask_q.sum())


@dataclass(frozen=True, eq=False)
class NetworkArrays:
    """A network game: its plain :class:`~expfam_nash.game.network.Network` (blocks, factors, phase moments)."""

    network: object
    rho: float
    mask_p: np.ndarray
    mask_q: np.ndarray

    @property
    def size(self) -> int:
        return int(self.mask_p.sum() + self.mask_q.sum())


def _is_identity(a: np.ndarray) -> bool:
    return a.shape[0] == a.shape[1] and bool(np.array_equal(a, np.eye(a.shape[0])))


def _family_code(fam) -> str:
    if type(fam) is Bernoulli:
        return "bernoulli"
    if type(fam) is Categorical:
        return "categorical"
    raise Unsupported(f"family {fam!r}: the certifier knows Bernoulli and categorical finite families")


def _classes(fam, points: np.ndarray) -> np.ndarray:
    return points[:, 0].astype(np.int64) if type(fam) is Categorical else np.zeros(points.shape[0], np.int64)


def _index(support: np.ndarray, points: np.ndarray, name: str) -> np.ndarray:
    keys = {np.ascontiguousarray(r + 0.0).tobytes(): i for i, r in enumerate(support)}
    out = np.empty(points.shape[0], dtype=np.int64)
    for r, row in enumerate(points):
        j = keys.get(np.ascontiguousarray(row + 0.0).tobytes())
        if j is None:
            raise Unsupported(f"{name}: point {row.tolist()} outside the support")
        out[r] = j
    return out


def finite_arrays(game: Game) -> FiniteArrays:
    if is_network(game):
        raise Unsupported("a network game (Gaussian factors), not a finite pair")
    dec, enc = game.decoder, game.encoder
    fam_p, fam_q = _family_code(dec.family), _family_code(enc.family)
    if not (isinstance(game.data, Finite) and isinstance(game.prior, Finite)):
        raise Unsupported("finite pair: data and prior must be weighted finite supports")
    X, Z = dec.family.support(), enc.family.support()
    T_X, S_Z = dec.family.sufficient_statistics(X), enc.family.sufficient_statistics(Z)
    lab = None
    if game.alpha > 0:
        lj = game.labeled
        li, lk = _index(X, lj.x_points, "labelled x"), _index(Z, lj.z_points, "labelled z")
        if np.unique(li).size != li.size or np.unique(lk).size != lk.size:
            raise Unsupported("labelled joint: repeated support points")
        lab = np.zeros((X.shape[0], Z.shape[0]))
        lab[np.ix_(li, lk)] = lj.table
    pen = lambda pl: (pl.penalty_mask & pl.mask).astype(np.float64)
    c = np.ascontiguousarray
    return FiniteArrays(
        fam_p, fam_q, c(T_X, dtype=np.float64), c(enc.lift(X)), c(S_Z, dtype=np.float64), c(dec.lift(Z)),
        _classes(dec.family, X), _classes(enc.family, Z),
        _index(X, game.data.points, "data"), c(game.data.weights), _index(Z, game.prior.points, "prior"),
        c(game.prior.weights), lab, float(game.alpha), float(game.rho), pen(dec), pen(enc),
        np.array(dec.mask), np.array(enc.mask))


def gaussian_arrays(game: Game) -> GaussianArrays:
    if is_network(game):
        raise Unsupported("a network game, not a linear-Gaussian pair")
    dec, enc = game.decoder, game.encoder
    gauss = (GaussianFixed, GaussianLearned)
    if not (isinstance(dec.family, gauss) and isinstance(enc.family, gauss) and isinstance(dec.lift, Affine)
            and isinstance(enc.lift, Affine) and isinstance(game.prior, Gaussian)):
        raise Unsupported("not a linear-Gaussian pair with affine lifts and a Gaussian prior")
    var = lambda fam: fam.variance if isinstance(fam, GaussianFixed) else None
    if isinstance(game.data, Gaussian):
        dm, dc, pts, w = game.data.mean, game.data.cov, None, None
    elif isinstance(game.data, Finite):
        dm, dc, pts, w = None, None, game.data.points, game.data.weights
    else:
        raise Unsupported("linear-Gaussian data must be Gaussian moments or weighted points")
    lm = lc = None
    if game.alpha > 0:
        lm, lc = game.labeled.mean, game.labeled.cov
    return GaussianArrays(dec.family.dim, enc.family.dim, var(dec.family), var(enc.family), dm, dc, pts, w,
                          game.prior.mean, game.prior.cov, lm, lc, float(game.alpha), float(game.rho),
                          np.array(dec.mask), np.array(enc.mask))


def network_arrays(game) -> NetworkArrays:
    return NetworkArrays(game.network, float(game.rho), np.array(game.decoder.mask), np.array(game.encoder.mask))


_CACHE: "weakref.WeakKeyDictionary[Game, FiniteArrays | GaussianArrays | NetworkArrays]" = weakref.WeakKeyDictionary()


def arrays(game: Game) -> FiniteArrays | GaussianArrays | NetworkArrays:
    """The game as plain arrays (built once per game); :class:`Unsupported` when the certifier
    has no exact model."""
    if game.engine is None:
        raise Unsupported(f"{game.name}: no exact engine (sampled games cannot be certified)")
    out = _CACHE.get(game)
    if out is None and is_network(game):
        out = network_arrays(game)
        _CACHE[game] = out
    if out is None:
        out = finite_arrays(game) if game.decoder.family.finite and game.encoder.family.finite \
            else gaussian_arrays(game)
        _CACHE[game] = out
    return out


# -- floating-point evaluation through the game's public API ------------------------------------
def flatten(game: Game, params: Params) -> np.ndarray:
    """The flat parameter vector; a one-line ValueError for anything but finite Params of the
    game's shapes."""
    if not isinstance(params, Params):
        raise ValueError(f"params: expected expfam_nash.Params, got {type(params).__name__}")
    if params.theta.shape != game.decoder.shape or params.phi.shape != game.encoder.shape:
        raise ValueError(f"params: expected theta {game.decoder.shape} and phi {game.encoder.shape}, "
                         f"got {params.theta.shape} and {params.phi.shape}")
    vec = game.flatten(params)
    if not np.all(np.isfinite(vec)):
        raise ValueError("params: contains NaN or infinite values")
    return vec


def unflatten(game: Game, vec: np.ndarray) -> Params:
    return game.unflatten(vec)


def split(game: Game, vec: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Full-shaped (theta, phi) of a flat vector (zeros off the masks)."""
    p = game.unflatten(vec)
    return np.array(p.theta), np.array(p.phi)


def float_gradient(game: Game, vec: np.ndarray) -> np.ndarray:
    return game.flat_evaluate(vec)[1]


def float_jacobian(game: Game, vec: np.ndarray) -> np.ndarray:
    return np.array(game.flat_jacobian(vec))


def in_domain(game: Game, vec: np.ndarray) -> bool:
    try:
        p = game.unflatten(vec)
        return bool(np.all(np.isfinite(vec)) and game.engine.in_domain(p.theta, p.phi))
    except ValueError:
        return False


def n_theta(game: Game) -> int:
    return game.layout.n_theta


def utilities(game: Game, vec: np.ndarray) -> tuple[float, float]:
    return game.utilities(game.unflatten(vec))


def best_response_value(game: Game, vec: np.ndarray, player: str, start: np.ndarray) -> tuple[float, bool, str]:
    """max over the player's own parameters of its utility against the opponent in ``vec``,
    computed by the game's damped Newton started at ``start`` (a flat vector whose entries of the
    player are used). Returns (value, attained, reason)."""
    cur, st = game.unflatten(vec), game.unflatten(start)
    mixed = Params(st.theta, cur.phi) if player == "decoder" else Params(cur.theta, st.phi)
    br = game.best_response(mixed, player)
    return float(br.value), bool(br.attained), br.reason


def best_response_point(game: Game, vec: np.ndarray, player: str) -> tuple[np.ndarray, bool]:
    """The flat vector with the player's coordinates replaced by its (floating-point, damped
    Newton) best response against the opponent in ``vec``; and whether it was attained."""
    br = game.best_response(game.unflatten(vec), player)
    out = np.array(vec, dtype=np.float64)
    n_p = game.layout.n_theta
    if player == "decoder":
        out[:n_p] = br.x
    else:
        out[n_p:] = br.x
    return out, bool(br.attained)


def init(game: Game, seed: int, scale: float) -> np.ndarray:
    return game.flatten(game.init(seed=seed, scale=scale))


# -- recession directions ------------------------------------------------------------------------
def recession(game: Game, player: str):
    """(direction D or None, decided, (y_stats, feats, free, family code)) for the player's
    positively weighted pairs -- pairs whose weight is positive for EVERY opponent strategy (the
    conditionals of a finite family have full support). D comes from the game's LP."""
    fa = finite_arrays(game)
    me = game.decoder if player == "decoder" else game.encoder
    rows_y = []
    if fa.alpha < 1:
        if player == "decoder":
            ii = np.repeat(fa.data_index[fa.pi_D > 0], fa.S_Z.shape[0])
            jj = np.tile(np.arange(fa.S_Z.shape[0]), int(np.sum(fa.pi_D > 0)))
        else:
            jj = np.repeat(fa.prior_index[fa.pi_P > 0], fa.T_X.shape[0])
            ii = np.tile(np.arange(fa.T_X.shape[0]), int(np.sum(fa.pi_P > 0)))
        rows_y.append((ii, jj))
    if fa.lab is not None:
        rows_y.append(np.nonzero(fa.lab > 0))
    ii = np.concatenate([r[0] for r in rows_y])
    jj = np.concatenate([r[1] for r in rows_y])
    y, f = (fa.T_X[ii], fa.psi_Z[jj]) if player == "decoder" else (fa.S_Z[jj], fa.chi_X[ii])
    free = me.mask & ~(me.penalty_mask if fa.rho > 0 else np.zeros_like(me.mask))
    code = fa.fam_p if player == "decoder" else fa.fam_q
    try:
        d = recession_direction(me.family, y, f, free)
        return d, True, (y, f, free, code)
    except NotDecided as exc:
        return None, False, (y, f, free, code, str(exc))


# -- symmetries ------------------------------------------------------------------------------------
def rotation_generators(game: Game) -> list[np.ndarray]:
    """Linear maps xi (N x N) with t = xi v the tangent of the orbit z -> exp(s omega_ab) z of the
    continuous latent symmetry (a rotation mixing units a < b), when it is an EXACT symmetry of the
    game: Gaussian prior N(0, c I) (checked entry by entry), affine lifts, fixed isotropic encoder
    variance, no labelled term. Empty list otherwise (learned encoder variances break rotations
    except on the set where two variances coincide, which is not certified)."""
    if is_network(game):
        return network_orbits.rotation_generators(game)
    if not isinstance(game.prior, Gaussian) or game.alpha > 0:
        return []
    dec, enc = game.decoder, game.encoder
    if not (isinstance(enc.family, GaussianFixed) and isinstance(dec.lift, Affine) and isinstance(enc.lift, Affine)):
        return []
    k = enc.family.dim
    pm, pc = game.prior.mean, game.prior.cov
    if k < 2 or np.any(pm != 0) or np.any(pc != pc[0, 0] * np.eye(k)):
        return []
    size = game.layout.size
    gens = []
    for a in range(k):
        for b in range(a + 1, k):
            omega = np.zeros((k, k))
            omega[a, b], omega[b, a] = -1.0, 1.0
            xi = np.zeros((size, size))
            for col in range(size):
                e = np.zeros(size)
                e[col] = 1.0
                th, ph = split(game, e)
                dth = np.zeros_like(th)
                dth[:, :k] = -th[:, :k] @ omega
                dph = np.zeros_like(ph)
                dph[:k] = omega @ ph[:k]
                xi[:, col] = game.layout.flatten(dth, dph)
            gens.append(xi)
    return gens


def flip_signs(game: Game) -> dict:
    """Coordinate sign patterns (+1/-1 per flat coordinate) of the sign flips that are EXACT
    symmetries of a linear-Gaussian game: ``("x", b)`` flips data axis b (needs data mean_b = 0 and
    cov[b, b'] = 0 for b' != b), ``("z", a)`` flips latent unit a (prior mean_a = 0, prior cov
    row a off-diagonal 0). Labelled games get none. Returns {name: sign vector}."""
    if is_network(game):
        return network_orbits.flip_signs(game)
    try:
        ga = gaussian_arrays(game)
    except Unsupported:
        return {}
    if ga.alpha > 0 or ga.data_mean is None:
        return {}
    d, k = ga.d, ga.k
    out = {}
    shape_p, shape_q = game.decoder.shape, game.encoder.shape
    for axis, (mean, cov, dim) in (("x", (ga.data_mean, ga.data_cov, d)), ("z", (ga.prior_mean, ga.prior_cov, k))):
        for a in range(dim):
            off = np.delete(cov[a], a)
            if mean[a] != 0 or np.any(off != 0) or np.any(np.delete(cov[:, a], a) != 0):
                continue
            sp, sq = np.ones(shape_p), np.ones(shape_q)
            if axis == "x":          # decoder rows for x_a (mean row, and eta1 row when learned); encoder column a
                sp[a] = -1.0
                sq[:, a] = -1.0
            else:                    # decoder column a; encoder row a
                sp[:, a] = -1.0
                sq[a] = -1.0
            sq_learned = isinstance(game.encoder.family, GaussianLearned)
            sp_learned = isinstance(game.decoder.family, GaussianLearned)
            if sp_learned:
                sp[d:] = 1.0         # precisions are even under every flip
            if sq_learned:
                sq[k:] = 1.0
            out[(axis, a)] = game.layout.flatten(sp, sq)
    return out
