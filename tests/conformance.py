"""Conformance checks, one function per contract, shared by the registry-parametrised suites
(test_conformance.py) and the extension test (a family or model registered in a test runs through
the same checks).

Tolerances. Central differences with step H = 1e-5 on natural parameters of size <= ~4 (the
families' ``example_natural``): truncation h^2/6 |f'''| <= ~1e-10 * 30, rounding eps |f| / h <= ~1e-10
* 60, so a relative tolerance of 1e-6 leaves a margin of > 100; a wrong formula (a missing term, a
factor 2) is off by O(1). Round trips: 1e-8 relative. Sampling: z-scores of means below 5
(derandomised: fixed seeds)."""
from __future__ import annotations

import json

import numpy as np

from expfam_nash.core.verdict import Result
from expfam_nash.families import Family

H = 1e-5
FD_RTOL = 1e-6
Z_MAX = 5.0


def fd(f, eta: np.ndarray, h: float = H) -> np.ndarray:
    """Row-wise central differences of f: (N, m) -> (N, ...) along each coordinate: (N, ..., m)."""
    cols = []
    for j in range(eta.shape[1]):
        e = np.zeros(eta.shape[1])
        e[j] = h
        cols.append((f(eta + e) - f(eta - e)) / (2 * h))
    return np.stack(cols, axis=-1)


def _close(a, b, rtol=FD_RTOL) -> bool:
    scale = max(1.0, float(np.abs(b).max(initial=0.0)))
    return float(np.abs(np.asarray(a) - np.asarray(b)).max(initial=0.0)) <= rtol * scale


def check_family(fam, seed: int = 0, n_samples: int = 20000) -> None:
    """Every contract of an exponential family (raises AssertionError naming the failed one)."""
    assert isinstance(fam, Family), "the Family protocol"
    rng = np.random.default_rng(seed)
    eta = fam.check_natural(fam.example_natural(rng, 3))
    assert _close(fd(fam.log_partition, eta), fam.mean(eta)), "grad A = mean"
    assert _close(fd(fam.mean, eta), fam.covariance(eta)), "Hessian A = covariance"
    cov = fam.covariance(eta)
    assert np.allclose(cov, np.swapaxes(cov, 1, 2)) and np.all(np.linalg.eigvalsh(cov) >= -1e-12), "Cov is PSD"
    assert _close(fam.natural(fam.mean(eta)), eta, 1e-8), "natural(mean(eta)) = eta"
    _check_normalisation(fam, eta[:1], rng)
    _check_sampling(fam, eta[:1], rng, n_samples)
    _check_hooks(fam, eta, rng)
    _check_validation(fam, eta[:1])


def _check_normalisation(fam, eta, rng) -> None:
    if fam.finite:
        total = np.exp(fam.log_density(fam.support(), eta)).sum()
        assert abs(total - 1.0) <= 1e-12, f"sum_y p(y) = {total!r}, not 1"
        return
    # importance sampling from a broad Gaussian fitted to the family's own draws: E_q[p/q] = 1
    y = fam.sample(np.repeat(eta, 2000, axis=0), rng=rng)
    m, c = y.mean(0), np.atleast_2d(np.cov(y.T)) * 4.0
    q = rng.multivariate_normal(m, c, size=20000)
    diff = q - m
    log_q = -0.5 * np.einsum("ni,ij,nj->n", diff, np.linalg.inv(c), diff) \
        - 0.5 * np.log(np.linalg.det(2 * np.pi * c))
    w = np.exp(fam.log_density(q, np.repeat(eta, q.shape[0], axis=0)) - log_q)
    assert abs(w.mean() - 1.0) <= Z_MAX * w.std(ddof=1) / np.sqrt(w.size), f"integral of p = {w.mean():.4f}"


def _check_sampling(fam, eta, rng, n) -> None:
    y = fam.sample(np.repeat(eta, n, axis=0), rng=rng)
    assert y.shape == (n, fam.dim)
    fam.check_support(y)
    t = fam.sufficient_statistics(y)
    se = np.sqrt(np.diag(fam.covariance(eta)[0]) / n)
    z = np.abs(t.mean(0) - fam.mean(eta)[0]) / np.maximum(se, 1e-300)
    assert z.max() < Z_MAX, f"sample mean of T off by {z.max():.1f} standard errors"
    drawn = fam.draw(np.repeat(eta, 5, axis=0), rng)
    assert drawn.shape == (5, fam.dim)
    fam.check_support(drawn)


def _check_hooks(fam, eta, rng) -> None:
    mask = fam.natural_mask(3, 2)
    assert mask.shape == (fam.stat_dim, 3) and mask.dtype == bool
    y = fam.sample(np.repeat(eta[:1], 200, axis=0), rng=rng)
    stat = fam.sufficient_statistics(y).mean(0) if fam.finite else None
    start = fam.natural_start(stat, (y.mean(0), np.atleast_2d(np.cov(y.T, bias=True))))
    fam.check_natural(start[None], "natural_start")
    kind, candidates = fam.relabellings(fam.support()) if fam.finite else ("", [])
    for name, mapped in candidates:
        assert mapped.shape == fam.support().shape, name
    if fam.finite:
        blocks = fam.recession_blocks(fam.sufficient_statistics(y[:4]), np.ones((4, 2)))
        for rows, constraints in blocks:
            assert constraints.shape[1] == len(rows) * 2


def _check_validation(fam, eta) -> None:
    y = fam.sample(eta, seed=0)
    for bad in (eta[:, :-1] if fam.stat_dim > 1 else np.zeros((1, 2)), eta * np.nan, "abc"):
        try:
            fam.log_density(y, bad)
        except ValueError as exc:
            assert str(exc).startswith("eta:"), str(exc)
        else:
            raise AssertionError(f"eta = {bad!r} accepted")
    try:
        fam.log_density(np.zeros((1, fam.dim + 1)), eta)
    except ValueError as exc:
        assert str(exc).startswith("y:"), str(exc)
    else:
        raise AssertionError("y of the wrong width accepted")


def check_result(result, options: dict | None = None) -> dict:
    """The result contract: frozen, summary() text, to_dict() plain JSON, the options recorded."""
    assert isinstance(result, Result), type(result)
    assert isinstance(result.summary(), str) and result.summary()
    d = result.to_dict()
    json.dumps(d, allow_nan=False)
    for key, value in (options or {}).items():
        assert d["options"][key] == value, (key, d["options"][key], value)
    return d


STATUSES = ("certified", "refuted", "undecided")


def check_equilibrium_result(result, method: str, tol: float) -> None:
    """solve's verdicts, certificate numbers and their consistency: every boolean is true only when
    its verdict is certified, and a converged result carries an enclosure radius."""
    d = check_result(result, {"method": method, "tol": tol})
    for key in ("converged", "diverged", "residual", "nash_gap", "stable", "jacobian_eigenvalues", "iterations",
                "params", "invariants", "max_stable_step", "orbit_dimension", "neutral_directions", "verdicts",
                "enclosure_radius", "lyapunov_margin", "nash_gap_bound", "certified"):
        assert key in d, key
    assert all(len(e) == 2 for e in d["jacobian_eigenvalues"])
    for name in ("existence", "convergence", "stability", "uniqueness", "continuum", "escape", "nash_gap"):
        v = d["verdicts"][name]
        assert v["status"] in STATUSES and v["reason"], (name, v)
    assert d["converged"] == (d["verdicts"]["convergence"]["status"] == "certified")
    assert d["diverged"] == (d["verdicts"]["escape"]["status"] == "certified")
    assert not (result.converged and result.diverged)
    if result.converged:
        assert d["verdicts"]["existence"]["status"] == "certified"
        assert d["enclosure_radius"] is not None and 0 <= d["enclosure_radius"] < np.inf
    if result.stable:
        assert result.converged and d["verdicts"]["stability"]["status"] == "certified"
        assert d["lyapunov_margin"] is not None and d["lyapunov_margin"] > 0
    if not d["certified"]:
        assert all(v["status"] == "undecided" for v in d["verdicts"].values())
