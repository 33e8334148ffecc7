"""Steps shared by the collapse proofs (proofs/collapse_vae.md section "Lemmas")."""
from __future__ import annotations

import numpy as np
import sympy as sp

from expfam_nash.symbolic.collapse_algebra import T, mat, matrix_equal, trace, trace_equal

from ._common import Proof


def lemma_rotation_invariance(p: Proof) -> None:
    """U -> U R with R R' = I leaves U U' unchanged (so tr((U U' + c)^-1 A) only sees the left factor)."""
    U, R = mat("U"), mat("R")
    p.check("(U R)(U R)' = U U' when R R' = I", matrix_equal((U * R) * T(U * R), U * T(U), {("R", "R'"): [(1, ())]}))


def lemma_weighted_ky_fan(p: Proof, rng: np.random.Generator, n_max: int = 6, trials: int = 200) -> None:
    """sum_j g_j u_j' A u_j <= sum_j g_j lam_j for orthonormal u_j, g_1 >= ... >= g_k >= 0 (lam desc).

    Abel summation writes the left side as sum_k (g_k - g_(k+1)) S_k with S_k = sum_(j<=k) u_j' A u_j and
    g_(k+1) >= 0 coefficients; Ky Fan's maximum principle gives S_k <= lam_1 + ... + lam_k."""
    for n in range(1, n_max + 1):
        g = sp.symbols(f"g1:{n + 2}")
        a = sp.symbols(f"a1:{n + 1}")
        lhs = sum(g[j] * a[j] for j in range(n))
        rhs = sum((g[k] - (g[k + 1] if k + 1 < n else 0)) * sum(a[:k + 1]) for k in range(n))
        if not p.check(f"Abel summation identity, n = {n}", sp.expand(lhs - rhs) == 0):
            return
    worst = -np.inf
    for _ in range(trials):
        D, k = rng.integers(2, 7), 0
        k = int(rng.integers(1, D + 1))
        X = rng.standard_normal((D, D + 1))
        A = X @ X.T
        lam = np.sort(np.linalg.eigvalsh(A))[::-1]
        Q, _ = np.linalg.qr(rng.standard_normal((D, k)))
        g = np.sort(rng.uniform(0, 2, k))[::-1]
        worst = max(worst, float(np.sum(g * np.einsum("ij,ik,kj->j", Q, A, Q)) - np.sum(g * lam[:k])) / lam[0])
    p.check(f"weighted Ky Fan inequality on {trials} random (A, u, g): max (lhs - rhs)/lam_1 <= 1e-12",
            worst <= 1e-12, f"{worst:.2e}")


def lemma_hadamard(p: Proof, rng: np.random.Generator, trials: int = 200) -> None:
    """log det(I + U'U / c) <= sum_i log(1 + |u_i|^2 / c), equality iff U'U is diagonal (Hadamard)."""
    worst, eq = -np.inf, 0.0
    for _ in range(trials):
        D, d = rng.integers(1, 6), rng.integers(1, 5)
        U, c = rng.standard_normal((D, d)), rng.uniform(0.1, 3)
        M = np.eye(d) + U.T @ U / c
        worst = max(worst, np.linalg.slogdet(M)[1] - np.sum(np.log(np.diag(M))))
        Q, _ = np.linalg.qr(rng.standard_normal((D, max(D, d))))
        Uo = Q[:, :min(D, d)] * rng.uniform(0, 2, min(D, d))
        Mo = np.eye(Uo.shape[1]) + Uo.T @ Uo / c
        eq = max(eq, abs(np.linalg.slogdet(Mo)[1] - np.sum(np.log(np.diag(Mo)))))
    p.check(f"Hadamard on {trials} random U: log det <= sum log diag (max gap {worst:.1e}); equality for orthogonal "
            f"columns ({eq:.1e})", worst <= 1e-12 and eq <= 1e-12)


def complete_square(p: Proof, label: str, Q, K, D, extra, rules) -> None:
    """Q(K + D) = Q(K) + extra(D) under the rules that define K (so K is the minimiser when extra >= 0)."""
    p.check(f"{label}: Q(K + D) = Q(K) + {extra[0]}", trace_equal(Q(K + D), Q(K) + extra[1], rules))


def numeric_agreement(p: Proof, label: str, build, cases: int, seed: int, starts: int = 4) -> None:
    """Closed form vs the numerical optimum over all parameters (collapse.solve) on random instances."""
    from expfam_nash.collapse import solve
    from expfam_nash.collapse.verdicts import LOSS_RTOL, SV_RTOL

    rng = np.random.default_rng(seed)
    worst_loss, worst_sv, below = 0.0, 0.0, 0
    for _ in range(cases):
        problem = build(rng)
        r = solve(problem, starts=starts, seed=int(rng.integers(10 ** 6)))
        worst_loss = max(worst_loss, r.agreement["loss_error"])
        worst_sv = max(worst_sv, max(r.agreement["singular_value_error"]))
        below += r.global_minimum.status.value == "refuted"
        if not r.global_minimum.holds:
            p.note(f"instance {problem.settings}: {r.global_minimum.summary()}")
    p.check(f"{label}: {cases} random instances, {starts} L-BFGS starts each over all parameters: closed-form loss "
            f"reached (max rel. error {worst_loss:.1e} <= {LOSS_RTOL:g}), singular values to {worst_sv:.1e} units "
            f"(<= {SV_RTOL:g}), no start below the closed form",
            worst_loss <= LOSS_RTOL and worst_sv <= SV_RTOL and below == 0)


def random_moment(rng: np.random.Generator, D: int, rank: int | None = None) -> np.ndarray:
    """A random PSD second moment with spread eigenvalues (rank-deficient when rank < D)."""
    rank = D if rank is None else rank
    X = rng.standard_normal((D, rank)) * rng.uniform(0.1, 2.0, rank)
    return X @ X.T
