"""Distances between distributions: total variation (exact, between finite distributions on
arbitrary supports, empirical with its noise floor) and the unbiased squared maximum mean
discrepancy with a Gaussian kernel (with the median bandwidth heuristic)."""
from __future__ import annotations

import math

import numpy as np

from ..core.validation import as_float_array, as_rng, check_int
from ..families.bernoulli import binary_index

#: entries of one intermediate (rows x columns) block of the kernel sums
BLOCK = 2 ** 22


def _check_probs(p, name: str) -> np.ndarray:
    p = as_float_array(p, name, ndim=1)
    if p.size == 0 or np.any(p < 0) or abs(p.sum() - 1) > 1e-6:
        raise ValueError(f"{name}: expected a non-empty probability vector (non-negative, sum 1)")
    return p


def total_variation(p, q) -> float:
    """TV(p, q) = 1/2 sum_i |p_i - q_i| for two probability vectors on a common support, in [0, 1]."""
    p, q = _check_probs(p, "p"), _check_probs(q, "q")
    if p.shape != q.shape:
        raise ValueError(f"p, q: expected vectors on the same support, got sizes {p.size} and {q.size}")
    return float(0.5 * np.abs(p - q).sum())


def on_binary_support(dist, d: int | None = None) -> np.ndarray:
    """The probabilities of a :class:`~expfam_nash.environment.Finite` distribution on binary points
    as a vector over ``binary_support(d)`` (duplicate points summed, absent points 0)."""
    pts, w = getattr(dist, "points", None), getattr(dist, "weights", None)
    if pts is None or w is None:
        raise ValueError(f"dist: expected a Finite distribution (points, weights), got {type(dist).__name__}")
    d = pts.shape[1] if d is None else check_int(d, "d")
    if pts.shape[1] != d or d > 30:
        raise ValueError(f"dist: expected binary points of dimension {d} <= 30, got {pts.shape[1]}")
    return np.bincount(binary_index(pts), weights=np.asarray(w, dtype=np.float64), minlength=2 ** d)


def tv_exact(probs, exact, points=None) -> float:
    """TV between a vector over all 2^d binary images (aligned with ``points``, default
    ``binary_support(d)``) and an exact :class:`Finite` data distribution."""
    probs = _check_probs(probs, "probs")
    d = round(math.log2(probs.size))
    if 2 ** d != probs.size:
        raise ValueError(f"probs: expected 2^d entries, got {probs.size}")
    ref = on_binary_support(exact, d)
    if points is not None:
        ref = ref[binary_index(points)]
    return total_variation(probs, ref)


def merged_support(points, weights) -> tuple[np.ndarray, np.ndarray]:
    pts = as_float_array(points, "points", ndim=2)
    uniq, inv = np.unique(pts, axis=0, return_inverse=True)
    return uniq, np.bincount(inv.ravel(), weights=np.asarray(weights, dtype=np.float64), minlength=uniq.shape[0])


def lookup(query: np.ndarray, ref: np.ndarray) -> np.ndarray:
    """Index in ``ref`` (unique rows) of each row of ``query``, -1 when absent."""
    both = np.concatenate([ref, query])
    _, inv = np.unique(both, axis=0, return_inverse=True)
    inv = inv.ravel()
    where = np.full(inv.max() + 1, -1)
    where[inv[:ref.shape[0]]] = np.arange(ref.shape[0])
    return where[inv[ref.shape[0]:]]


def tv_finite(a, b) -> float:
    """TV between two finite distributions (objects with ``points``, ``weights``) on arbitrary,
    possibly different, supports: 1/2 sum over the union of |a(x) - b(x)|."""
    return _tv_weighted(a.points, a.weights, b.points, b.weights)


def _tv_weighted(points_a, weights_a, points_b, weights_b) -> float:
    pa, wa = merged_support(points_a, weights_a)
    pb, wb = merged_support(points_b, weights_b)
    if pa.shape[1] != pb.shape[1]:
        raise ValueError(f"a, b: dimensions differ ({pa.shape[1]} and {pb.shape[1]})")
    idx = lookup(pa, pb)
    diff = np.abs(wa - np.where(idx >= 0, wb[np.maximum(idx, 0)], 0.0)).sum()
    diff += wb.sum() - wb[idx[idx >= 0]].sum()   # mass of b outside a's support
    return float(0.5 * diff)


def tv_empirical(samples, exact) -> float:
    """TV between the empirical distribution of ``samples`` (rows) and an exact finite distribution.
    Biased upwards by sampling noise; compare with :func:`tv_noise_floor` at the same size."""
    s = as_float_array(samples, "samples", ndim=2)
    if s.shape[0] < 1:
        raise ValueError("samples: expected at least one row")
    uniq, counts = np.unique(s, axis=0, return_counts=True)
    return _tv_weighted(uniq, counts / counts.sum(), exact.points, exact.weights)


def tv_noise_floor(probs, n: int, *, reps: int = 50, seed=None, rng=None) -> tuple[float, float]:
    """(mean, std) over ``reps`` simulations of TV(empirical of n exact draws, probs): the TV a
    perfect model would show with n samples. For small probabilities it is about
    1/2 sum_i sqrt(2 p_i (1 - p_i) / (pi n))."""
    probs = _check_probs(probs, "probs")
    n = check_int(n, "n")
    reps = check_int(reps, "reps")
    rng = as_rng(seed, rng)
    counts = rng.multinomial(n, probs / probs.sum(), size=reps)
    tv = 0.5 * np.abs(counts / n - probs).sum(1)
    return float(tv.mean()), float(tv.std(ddof=1)) if reps > 1 else float("nan")


def median_bandwidth(x, *, max_points: int = 1000) -> float:
    """The median heuristic: median pairwise Euclidean distance among the first ``max_points`` rows."""
    x = as_float_array(x, "x", ndim=2)[:check_int(max_points, "max_points", minimum=2)]
    if x.shape[0] < 2:
        raise ValueError("x: expected at least two rows for the median heuristic")
    sq = (x * x).sum(1)
    d2 = np.maximum(sq[:, None] + sq[None, :] - 2 * x @ x.T, 0.0)
    med = float(np.sqrt(np.median(d2[np.triu_indices(x.shape[0], 1)])))
    return med if med > 0 else 1.0


def _kernel_sum(a: np.ndarray, b: np.ndarray, gammas: np.ndarray, same: bool) -> float:
    """sum_{i, j} k(a_i, b_j) (i != j when ``same``), k = mean_s exp(-gamma_s |a - b|^2), blocked."""
    total = 0.0
    sb = (b * b).sum(1)
    step = max(1, BLOCK // max(b.shape[0], 1))
    for s in range(0, a.shape[0], step):
        ac = a[s:s + step]
        d2 = np.maximum((ac * ac).sum(1)[:, None] + sb[None, :] - 2 * ac @ b.T, 0.0)
        total += sum(float(np.exp(-g * d2).sum()) for g in gammas) / len(gammas)
    if same:
        total -= a.shape[0]   # the diagonal, k(a_i, a_i) = 1
    return total


def mmd(a, b, *, bandwidths=None) -> float:
    """Unbiased squared maximum mean discrepancy (Gretton et al. 2012, MMD^2_u):

        1/(m(m-1)) sum_{i != j} k(a_i, a_j) + 1/(n(n-1)) sum_{i != j} k(b_i, b_j) - 2/(mn) sum_{i,j} k(a_i, b_j)

    with the Gaussian kernel k(u, v) = mean_s exp(-|u - v|^2 / (2 h_s^2)) over ``bandwidths`` h_s
    (a number or a sequence; default: the median heuristic h of the pooled sample times
    (1/2, 1, 2)). Zero in expectation when a and b come from the same distribution (so it can be
    slightly negative), positive in expectation otherwise; its null spread is O(1/n): compare
    with the same statistic between two samples of the data (a noise floor)."""
    a = as_float_array(a, "a", ndim=2)
    b = as_float_array(b, "b", ndim=2)
    if a.shape[0] < 2 or b.shape[0] < 2 or a.shape[1] != b.shape[1]:
        raise ValueError(f"a, b: expected two samples of >= 2 rows with equal widths, got {a.shape} and {b.shape}")
    if bandwidths is None:
        h = median_bandwidth(np.concatenate([a[:500], b[:500]]))
        hs = np.array([0.5, 1.0, 2.0]) * h
    else:
        hs = np.atleast_1d(as_float_array(bandwidths, "bandwidths"))
        if hs.ndim != 1 or hs.size == 0 or np.any(hs <= 0):
            raise ValueError(f"bandwidths: expected positive numbers, got {bandwidths!r}")
    gammas = 1.0 / (2.0 * hs ** 2)
    m, n = a.shape[0], b.shape[0]
    return float(_kernel_sum(a, a, gammas, True) / (m * (m - 1)) + _kernel_sum(b, b, gammas, True) / (n * (n - 1))
                 - 2.0 * _kernel_sum(a, b, gammas, False) / (m * n))


