"""Ready-made games: the linear-Gaussian pair, Bernoulli pairs with affine lifts, tabular pairs.

Data specifications accepted by :func:`bernoulli` (``data=``):

* an (N, d) array of 0/1 rows, optionally with ``weights`` (duplicates are merged);
* a path to a ``.npz`` file holding ``points`` and optionally ``weights``;
* ``"bars:N"`` or ``"bars:N:P"``: the bars problem on an N x N grid, each of the 2N bars on
  independently with probability P (default 1/N); the exact image distribution;
* ``"independent:p1,p2,..."``: the exact product of Bernoulli(p_c);
* ``"random:D:SEED"`` or ``"random:D:SEED:N"``: N distinct points of {0,1}^D (default
  min(2^D, 64)) with Dirichlet(1) weights.

:func:`tabular` takes an (NX, NZ) joint table, a ``.npy`` path, or ``"random:NX:NZ:SEED"``.
"""
from __future__ import annotations

import os

import numpy as np

from ._validation import as_float_array, as_rng, check_int, check_positive, check_weights
from .environment import Finite, FiniteJoint, Gaussian, GaussianJoint, uniform_bits
from .families import Affine, Bernoulli, Categorical, GaussianFixed, GaussianLearned, OneHot, binary_support
from .game import Game, Player


# -- data specifications ---------------------------------------------------------------------
def _parse_fields(spec: str, name: str, n_min: int, n_max: int) -> list[str]:
    fields = spec.split(":")[1:]
    if not n_min <= len(fields) <= n_max:
        raise ValueError(f"{name}: malformed spec {spec!r}")
    return fields


def bars_distribution(n: int, p: float | None = None) -> Finite:
    """Exact distribution of N x N bar images: 2N bars (rows then columns), each on w.p. p."""
    check_int(n, "bars N", maximum=5)
    p = 1.0 / n if p is None else float(p)
    if not 0 < p < 1:
        raise ValueError(f"bars P: expected a probability in (0, 1), got {p}")
    configs = binary_support(2 * n)
    rows, cols = configs[:, :n], configs[:, n:]
    images = np.maximum(rows[:, :, None], cols[:, None, :]).reshape(len(configs), n * n)
    on = configs.sum(1)
    weights = p ** on * (1 - p) ** (2 * n - on)
    uniq, inv = np.unique(images, axis=0, return_inverse=True)
    return Finite(uniq, np.bincount(inv.ravel(), weights=weights))


def independent_distribution(probs) -> Finite:
    p = as_float_array(probs, "independent probabilities", ndim=1)
    if np.any((p < 0) | (p > 1)):
        raise ValueError("independent probabilities: each must lie in [0, 1]")
    pts = binary_support(p.size)
    w = np.prod(np.where(pts == 1, p, 1 - p), axis=1)
    keep = w > 0
    return Finite(pts[keep], w[keep] / w[keep].sum())


def random_binary_distribution(d: int, seed: int, n: int | None = None) -> Finite:
    check_int(d, "random D", maximum=24)
    n = min(2 ** d, 64) if n is None else check_int(n, "random N", maximum=2 ** d)
    rng = as_rng(seed)
    idx = np.sort(rng.choice(2 ** d, size=n, replace=False))
    shifts = np.arange(d - 1, -1, -1)
    pts = ((idx[:, None] >> shifts[None, :]) & 1).astype(np.float64)
    return Finite(pts, rng.dirichlet(np.ones(n)))


def binary_data(data, weights=None) -> Finite:
    """Parse a Bernoulli data specification (see module docstring)."""
    if isinstance(data, Finite):
        return data
    if isinstance(data, str):
        if data.startswith("bars:"):
            f = _parse_fields(data, "data", 1, 2)
            return bars_distribution(int(f[0]), float(f[1]) if len(f) > 1 else None)
        if data.startswith("independent:"):
            f = _parse_fields(data, "data", 1, 1)
            try:
                return independent_distribution([float(v) for v in f[0].split(",")])
            except ValueError as exc:
                raise ValueError(f"data: malformed spec {data!r}: {exc}") from None
        if data.startswith("random:"):
            f = _parse_fields(data, "data", 2, 3)
            try:
                vals = [int(v) for v in f]
            except ValueError:
                raise ValueError(f"data: malformed spec {data!r} (expected random:D:SEED[:N])") from None
            return random_binary_distribution(*vals)
        if data.endswith(".npz"):
            if not os.path.exists(data):
                raise ValueError(f"data: file {data!r} does not exist")
            with np.load(data) as f:
                if "points" not in f:
                    raise ValueError(f"data: {data!r} has no array named 'points'")
                pts = f["points"]
                weights = f["weights"] if "weights" in f else weights
            data = pts
        else:
            raise ValueError(f"data: unknown spec {data!r} (expected an array, a .npz path, bars:N, "
                             "independent:p1,..., or random:D:SEED)")
    pts = as_float_array(data, "data", ndim=2)
    if np.any((pts != 0) & (pts != 1)):
        raise ValueError("data: Bernoulli data must be 0/1")
    if weights is None:
        return Finite.from_samples(pts)
    w = check_weights(weights, "weights", pts.shape[0])
    uniq, inv = np.unique(pts, axis=0, return_inverse=True)
    return Finite(uniq, np.bincount(inv.ravel(), weights=w, minlength=len(uniq)))


def joint_table(joint) -> np.ndarray:
    if isinstance(joint, str):
        if joint.startswith("random:"):
            f = _parse_fields(joint, "joint", 3, 3)
            try:
                nx, nz, seed = (int(v) for v in f)
            except ValueError:
                raise ValueError(f"joint: malformed spec {joint!r} (expected random:NX:NZ:SEED)") from None
            check_int(nx, "NX", minimum=2)
            check_int(nz, "NZ", minimum=2)
            return as_rng(seed).dirichlet(np.ones(nx * nz)).reshape(nx, nz)
        if joint.endswith(".npy"):
            if not os.path.exists(joint):
                raise ValueError(f"joint: file {joint!r} does not exist")
            joint = np.load(joint)
        else:
            raise ValueError(f"joint: unknown spec {joint!r} (expected a table, a .npy path or random:NX:NZ:SEED)")
    t = as_float_array(joint, "joint", ndim=2)
    if t.shape[0] < 2 or t.shape[1] < 2:
        raise ValueError(f"joint: expected at least a 2 x 2 table, got {t.shape}")
    check_weights(t.ravel(), "joint")
    return t


# -- games -----------------------------------------------------------------------------------
def linear_gaussian(eigenvalues=(3.0, 1.0), latent_dim: int = 1, decoder_var: float | str = 0.5,
                    encoder_var: float | str = 0.8, data_mean=None, rotation=None, samples=None,
                    l2: float = 0.0, labeled_weight: float = 0.0, labeled=None) -> Game:
    """Gaussian decoder N(W z + b, S) and encoder N(V x + c, T) with affine lifts, prior N(0, I_k).

    Data: N(data_mean, R diag(eigenvalues) R^T) (R = ``rotation``, default identity), or the
    empirical distribution of ``samples`` (exact through its moments). ``decoder_var`` /
    ``encoder_var``: a fixed isotropic variance or ``"learned"`` (diagonal, natural parameters).
    ``labeled``: (mean, cov) of a joint Gaussian over (x, z), x first.
    """
    k = check_int(latent_dim, "latent_dim")
    if samples is not None:
        pts = as_float_array(samples, "samples", ndim=2)
        data = Finite(pts, np.full(pts.shape[0], 1.0 / pts.shape[0]))
        d = pts.shape[1]
    else:
        lam = as_float_array(eigenvalues, "eigenvalues", ndim=1)
        if lam.size == 0 or np.any(lam <= 0):
            raise ValueError("eigenvalues: expected a non-empty list of data variances > 0")
        d = lam.size
        r = np.eye(d) if rotation is None else as_float_array(rotation, "rotation", shape=(d, d))
        if not np.allclose(r @ r.T, np.eye(d), atol=1e-10):
            raise ValueError("rotation: expected an orthogonal matrix")
        mean = np.zeros(d) if data_mean is None else as_float_array(data_mean, "data_mean", shape=(d,))
        data = Gaussian(mean, r @ np.diag(lam) @ r.T)

    def family(var, dim, name):
        if isinstance(var, str):
            if var != "learned":
                raise ValueError(f"{name}: expected a variance > 0 or 'learned', got {var!r}")
            return GaussianLearned(dim)
        return GaussianFixed(dim, check_positive(var, name))

    dec = Player(family(decoder_var, d, "decoder_var"), Affine(k))
    enc = Player(family(encoder_var, k, "encoder_var"), Affine(d))
    lab = None
    if labeled is not None:
        lab = GaussianJoint(labeled[0], labeled[1], d)
    return Game(dec, enc, data, Gaussian(np.zeros(k), np.eye(k)), labeled=lab, alpha=labeled_weight, rho=l2,
                name=f"linear-gaussian(d={d}, k={k})")


def bernoulli(data="bars:3", weights=None, latent_dim: int = 3, l2: float = 0.0, labeled_weight: float = 0.0,
              labeled: FiniteJoint | None = None, prior=None) -> Game:
    """Bernoulli(d) decoder and Bernoulli(k) encoder, both with affine lifts; prior uniform on {0,1}^k."""
    k = check_int(latent_dim, "latent_dim", maximum=24)
    dist = binary_data(data, weights)
    d = dist.dim
    dec = Player(Bernoulli(d), Affine(k))
    enc = Player(Bernoulli(k), Affine(d))
    prior = uniform_bits(k) if prior is None else prior
    return Game(dec, enc, dist, prior, labeled=labeled, alpha=labeled_weight, rho=l2,
                name=f"bernoulli(d={d}, k={k})")


def tabular(joint="random:4:3:0", labeled_weight: float = 0.0, l2: float = 0.0) -> Game:
    """Categorical(NX) decoder and Categorical(NZ) encoder with one-hot lifts (any conditional is
    reachable). pi(x), pi(z) are the joint's marginals; the joint itself is the labelled term."""
    t = joint_table(joint)
    nx, nz = t.shape
    xs = np.arange(nx, dtype=np.float64)[:, None]
    zs = np.arange(nz, dtype=np.float64)[:, None]
    lab = FiniteJoint(xs, zs, t)
    data, prior = lab.marginals()
    keep_x, keep_z = data.weights > 0, prior.weights > 0
    data = Finite(data.points[keep_x], data.weights[keep_x])
    prior = Finite(prior.points[keep_z], prior.weights[keep_z])
    dec = Player(Categorical(nx), OneHot(zs))
    enc = Player(Categorical(nz), OneHot(xs))
    return Game(dec, enc, data, prior, labeled=lab, alpha=labeled_weight, rho=l2, name=f"tabular({nx}x{nz})")
