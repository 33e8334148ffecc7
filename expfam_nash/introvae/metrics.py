"""The benchmark's metrics, exactly as the reference computes them, and textbook versions beside.

Histograms: [-2 g, 2 g]^2 in ``bins`` x ``bins`` cells (``numpy.histogram2d``, density=True:
count / (points inside * cell area); points outside are dropped). With p the data's and q the
model's density histogram, eps = 1e-14 and the reference's ``batchmean`` division by the number
of rows (= bins):

    grid_kl  = (1/bins) sum_{p > 0} p (log p - log(q + eps))
    grid_jsd = (1/2) [ (1/bins) sum_{m > 0} m (log m - log(p + eps))
                     + (1/bins) sum_{m > 0} m (log m - log(q + eps)) ],   m = (p + q) / 2

(``grid_jsd`` is KL(m || p) + KL(m || q), the reference's argument order: not the Jensen-Shannon
divergence and not bounded by log 2). Textbook versions on the cell probabilities P = p A,
Q = q A (A the cell area), in nats:

    kl_nats = sum_{P > 0} P log(P / (Q + eps A))  (= bins * A * grid_kl: the same floor, in probability units)
    js_nats = (1/2) KL(P || M) + (1/2) KL(Q || M), M = (P + Q) / 2   (in [0, log 2], no floor needed)

gnELBO: with NE(x) = Rec(x, D(mu(x))) + KL(q(.|x) || P) (beta = 1) over a 1024 x 1024 grid of
[-2 g, 2 g]^2 and over data points, gnelbo = mean_data NE / (sum_grid NE + sum_data NE); the
reference's table reports it times 1e7 (:data:`GNELBO_UNIT`).
"""
from __future__ import annotations

import numpy as np

EPS = 1e-14
BINS = 100
GNELBO_UNIT = 1e7


def histogram(points: np.ndarray, g: float, bins: int = BINS) -> tuple[np.ndarray, int]:
    """(density histogram of the points inside [-2 g, 2 g]^2, number of points inside).

    The density is all zeros when no point falls inside (the reference would divide by zero)."""
    points = np.asarray(points, dtype=np.float64)
    if points.ndim != 2 or points.shape[1] != 2:
        raise ValueError(f"points: expected an array of shape (n, 2), got {points.shape}")
    lim = [[-2.0 * g, 2.0 * g]] * 2
    counts, _, _ = np.histogram2d(points[:, 0], points[:, 1], bins=bins, range=lim)
    inside = int(counts.sum())
    if inside == 0:
        return counts, 0
    area = (4.0 * g / bins) ** 2
    return counts / (inside * area), inside


def _kl_rows(target: np.ndarray, model: np.ndarray, bins: int) -> float:
    """(1/bins) sum_{target > 0} target (log target - log(model + EPS)): torch's
    ``kl_div(log(model + EPS), target, reduction='batchmean')`` on a (bins x bins) table."""
    t = target[target > 0]
    return float(np.sum(t * (np.log(t) - np.log(model[target > 0] + EPS))) / bins)


def grid_kl(p: np.ndarray, q: np.ndarray) -> float:
    """The reference's sample KL between data density p and model density q (module docstring)."""
    return _kl_rows(p, q, p.shape[0])


def grid_jsd(p: np.ndarray, q: np.ndarray) -> float:
    """The reference's "JSD" (module docstring): KL(m || p) + KL(m || q) halved, in its units."""
    m = 0.5 * (p + q)
    return 0.5 * (_kl_rows(m, p, p.shape[0]) + _kl_rows(m, q, p.shape[0]))


def kl_nats(p: np.ndarray, q: np.ndarray, g: float) -> float:
    """KL(P || Q) in nats on cell probabilities, with the reference's floor in probability units."""
    bins = p.shape[0]
    area = (4.0 * g / bins) ** 2
    return bins * area * grid_kl(p, q)


def js_nats(p: np.ndarray, q: np.ndarray, g: float) -> float:
    """The Jensen-Shannon divergence of the cell probabilities, in nats (<= log 2)."""
    area = (4.0 * g / p.shape[0]) ** 2
    P, Q = p * area, q * area
    M = 0.5 * (P + Q)
    out = 0.0
    for A in (P, Q):
        keep = A > 0
        out += 0.5 * float(np.sum(A[keep] * np.log(A[keep] / M[keep])))
    return out


def histogram_metrics(data: np.ndarray, generated: np.ndarray, g: float, bins: int = BINS) -> dict:
    """grid_kl, grid_jsd, kl_nats, js_nats of generated points against data points (one draw
    each), and how many of each fell inside the grid. Metrics are None when no generated point
    lies inside (the reference would report NaN)."""
    p, n_p = histogram(data, g, bins)
    q, n_q = histogram(generated, g, bins)
    out = {"data_inside": n_p, "generated_inside": n_q, "n": int(len(generated))}
    if n_p == 0 or n_q == 0:
        return {**out, "grid_kl": None, "grid_jsd": None, "kl_nats": None, "js_nats": None}
    return {**out, "grid_kl": grid_kl(p, q), "grid_jsd": grid_jsd(p, q), "kl_nats": kl_nats(p, q, g),
            "js_nats": js_nats(p, q, g)}


def evaluation_grid(g: float, n: int = 1024) -> np.ndarray:
    """The n x n grid of [-2 g, 2 g]^2 (linspace with both ends, 'ij' order), shape (n^2, 2)."""
    t = np.linspace(-2.0 * g, 2.0 * g, n)
    xx, yy = np.meshgrid(t, t, indexing="ij")
    return np.stack([xx.ravel(), yy.ravel()], axis=1)


def gnelbo(ne_grid: np.ndarray, ne_data: np.ndarray) -> float:
    """mean_data NE / (sum_grid NE + sum_data NE) (raw; times :data:`GNELBO_UNIT` in the table)."""
    ne_grid, ne_data = np.asarray(ne_grid, np.float64), np.asarray(ne_data, np.float64)
    total = ne_grid.sum() + ne_data.sum()
    return float(np.mean(ne_data / total))
