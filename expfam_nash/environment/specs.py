"""Data specifications: exact finite distributions named by short strings (used by the models and
by the neural datasets).

* ``"bars:N"`` or ``"bars:N:P"``: the bars problem on an N x N grid, each of the 2N bars on
  independently with probability P (default 1/N); the exact image distribution;
* ``"independent:p1,p2,..."``: the exact product of Bernoulli(p_c);
* ``"random:D:SEED"`` or ``"random:D:SEED:N"``: N distinct points of {0,1}^D (default
  min(2^D, 64)) with Dirichlet(1) weights;
* an (N, d) array of 0/1 rows (optionally with ``weights``) or a ``.npz`` path with ``points`` and
  optionally ``weights`` (:func:`binary_data`);
* joint tables (:func:`joint_table`): an (NX, NZ) array, a ``.npy`` path, or ``"random:NX:NZ:SEED"``.
"""
from __future__ import annotations

import numpy as np

from ..core.files import read_npy, read_npz
from ..core.validation import as_float_array, as_rng, check_int, check_memory, check_weights
from ..families.bernoulli import binary_support
from .distributions import Finite


#: the most classes of a joint table's side (a tabular pair's one-hot lift is a square table of this size)
MAX_CLASSES = 4096


def _shown(data) -> str:
    return repr(data) if isinstance(data, str) else type(data).__name__


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
    """Parse a Bernoulli data specification (see module docstring). ``weights`` go with an array
    only: a spec string, a Finite distribution or a ``.npz`` file that carries its own weights
    refuses them (never ignores them)."""
    if weights is not None and (isinstance(data, (str, Finite))):
        if not (isinstance(data, str) and data.endswith(".npz")):
            raise ValueError(f"weights: given with data {_shown(data)}, which defines its own weights; "
                             "give weights only with an array of points (or a .npz file without weights)")
    if isinstance(data, Finite):
        return data
    if isinstance(data, str):
        if data.startswith("bars:"):
            f = _parse_fields(data, "data", 1, 2)
            try:
                n, p = int(f[0]), float(f[1]) if len(f) > 1 else None
            except ValueError:
                raise ValueError(f"data: malformed spec {data!r} (expected bars:N[:P])") from None
            return bars_distribution(n, p)
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
            arrays = read_npz(data, "data", required=("points",))
            if "weights" in arrays:
                if weights is not None:
                    raise ValueError(f"weights: {data!r} carries its own weights; give them in one place only")
                weights = arrays["weights"]
            data = arrays["points"]
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
            check_int(nx, "NX", minimum=2, maximum=MAX_CLASSES)
            check_int(nz, "NZ", minimum=2, maximum=MAX_CLASSES)
            check_memory(nx * nz, "joint", f"a {nx} x {nz} table")
            return as_rng(seed).dirichlet(np.ones(nx * nz)).reshape(nx, nz)
        if joint.endswith(".npy"):
            joint = read_npy(joint, "joint")
        else:
            raise ValueError(f"joint: unknown spec {joint!r} (expected a table, a .npy path or random:NX:NZ:SEED)")
    t = as_float_array(joint, "joint", ndim=2)
    if t.shape[0] < 2 or t.shape[1] < 2 or max(t.shape) > MAX_CLASSES:
        raise ValueError(f"joint: expected a table of 2 to {MAX_CLASSES} rows and columns, got {t.shape}")
    check_weights(t.ravel(), "joint")
    return t


