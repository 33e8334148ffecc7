"""Global minimum of the linear beta-VAE (Sigma learned, Sigma = v I fixed) per mode, general in the
dimensions (proofs/collapse_vae.md)."""
from __future__ import annotations

import numpy as np
import sympy as sp

from expfam_nash.symbolic.collapse_algebra import T, expectation, mat, matrix_equal, trace, trace_equal
from expfam_nash.symbolic.collapse_modes import (A_COL, BETA, ED, EE, LAM, SIGSQ, TT, V, sigma_profile, vae_mode,
                                                 vae_mode_objective)

from ._collapse import (complete_square, lemma_hadamard, lemma_rotation_invariance, lemma_weighted_ky_fan,
                        numeric_agreement, random_moment)
from ._common import Proof, execute, main_for

NAME = "collapse_vae"
c = sp.Symbol("c", positive=True)


def step_trace_form(p: Proof) -> None:
    p.step("1. The loss in second moments: E|x - U z|^2 with z = W x + n, E[x x'] = A, E[n n'] = S, E[x n'] = 0")
    U, W, A, S, x, n = mat("U"), mat("W"), mat("A", True), mat("S", True), mat("x"), mat("n")
    mom = {("x", "x"): A, ("n", "n"): S, ("x", "n"): 0, ("n", "x"): 0}
    r = x - U * (W * x + n)
    p.check("E|x - U z|^2 = tr A - 2 tr(U W A) + tr(U'U (W A W' + S))  (objectives.VAEObjective)",
            trace_equal(expectation(T(r) * r, mom), trace(A) - 2 * trace(U * W * A) + trace(T(U) * U * (W * A * T(W) + S))))
    p.check("E|W x|^2 = tr(W A W')", trace_equal(expectation(T(W * x) * (W * x), mom), trace(W * A * T(W))))
    p.check("negative control: E|x - U z|^2 != tr A - tr(U W A) + ... (the checker can fail)",
            not trace_equal(expectation(T(r) * r, mom), trace(A) - trace(U * W * A) + trace(T(U) * U * (W * A * T(W) + S))))


def step_encoder_mean(p: Proof) -> None:
    p.step("2. Minimising out the encoder mean W: with M = U'U + c, c = beta eta_dec^2 / eta_enc^2, K = M^-1 U'")
    U, A, K, D = mat("U"), mat("A", True), mat("K"), mat("D")
    rules = {("U'", "U", "K"): [(1, ("U'",)), (-c, ("K",))]}          # M K = U'
    Q = lambda W_: trace((1 - U * W_) * A * T(1 - U * W_)) + c * trace(W_ * A * T(W_))
    complete_square(p, "Q(W) = tr((I - U W) A (I - U W)') + c tr(W A W')", Q, K, D,
                    ("tr(D A D' M) >= 0", trace(D * A * T(D) * (T(U) * U + c))), rules)
    p.note("so eta_dec^2 [recon + beta KL-mean terms] >= Q(K), with equality iff D A^(1/2) = 0 (M > 0)")
    p.check("Q(K) = tr A - tr(U K A)", trace_equal(Q(K), trace(A) - trace(U * K * A), rules))
    p.check("(U U' + c) U K = U U', hence U K = I - c N^-1 with N = U U' + c",
            matrix_equal((U * T(U) + c) * U * K, U * T(U), rules))
    p.note("so min_W Q = c tr(N^-1 A): the profile loss is (beta / eta_enc^2) tr((U U' + c)^-1 A) + the Sigma terms")


def step_encoder_variance(p: Proof, rng) -> None:
    p.step("3. Minimising out a learned encoder variance, coordinate by coordinate (a = |u_i|^2)")
    sg = sigma_profile()
    p.check("exactly one stationary point", len(sg["roots"]) == 1)
    p.check("g'' = beta / varsigma^2 > 0 (strictly convex)", sp.simplify(sg["curvature"] - BETA / SIGSQ ** 2) == 0)
    p.zero("min g - beta log(1 + a / c)", sg["value"] - BETA * sp.log(1 + A_COL / (BETA * ED ** 2 / EE ** 2)),
           simplify=lambda e: sp.simplify(sp.expand_log(e, force=True)))
    p.note(f"varsigma* = {sg['variance']}; a = 0 gives eta_enc^2 (the prior)")
    lemma_hadamard(p, rng)
    lemma_rotation_invariance(p)
    p.note("so with Sigma learned the minimum has orthogonal decoder columns and the profile loss is "
           "(beta / eta_enc^2) tr((U U' + c)^-1 A) + beta sum_j log(1 + s_j^2 / c); with Sigma = v I it is "
           "(beta / eta_enc^2) tr((U U' + c)^-1 A) + v sum_j s_j^2 / eta_dec^2 (+ constants)")


def step_alignment(p: Proof, rng) -> None:
    p.step("4. Alignment: tr((U U' + c)^-1 A) >= sum_j lam_j / (s_j^2 + c) + sum_(i > d) lam_i / c")
    s2 = sp.Symbol("s2", nonnegative=True)
    g = 1 / c - 1 / (s2 + c)
    p.zero("eigenvalue of (U U' + c)^-1 on u_j: 1/(s_j^2 + c) = 1/c - g_j", 1 / (s2 + c) - (1 / c - g))
    p.check("g_j = s_j^2 / (c (s_j^2 + c)) >= 0 is increasing in s_j^2",
            sp.simplify(g - s2 / (c * (s2 + c))) == 0 and sp.simplify(sp.diff(g, s2) - 1 / (s2 + c) ** 2) == 0)
    lemma_weighted_ky_fan(p, rng)
    p.note("tr(N^-1 A) = tr A / c - sum_j g_j u_j' A u_j >= tr A / c - sum_j g_j lam_j (s sorted descending, lam "
           "descending), equality when u_j is the j-th eigenvector: the problem splits into modes")


def step_modes(p: Proof) -> None:
    for learned in (True, False):
        label = "Sigma learned" if learned else "Sigma = v I"
        p.step(f"5. One mode ({label}): h(t), t = s^2 >= 0")
        m = vae_mode(learned)
        h, slope = m["objective"], m["slope"]
        p.check("one stationary point t* (sympy.solve)", len(m["roots"]) == 1)
        p.check("h'(t) times a positive factor is strictly increasing in t (h unimodal on t >= 0)",
                sp.simplify(sp.diff(slope, TT)).is_positive is True)
        thr, r = m["threshold"], sp.Symbol("r", positive=True)
        above = sp.simplify(slope.subs(TT, 0).subs(LAM, thr * (1 + r)))
        below = sp.simplify(slope.subs(TT, 0).subs(LAM, thr / (1 + r)))
        p.check("slope(0) < 0 for lam = threshold (1 + r) and > 0 for lam = threshold / (1 + r), r > 0: the minimiser "
                "is interior iff lam > threshold", above.is_negative is True and below.is_positive is True,
                f"threshold {thr}")
        p.check("t* increases with lam (modes keep the eigenvalue order)", sp.simplify(sp.diff(m["t"], LAM)).is_positive)
        p.zero("boundary lam = threshold: t* = 0", m["t"].subs(LAM, thr))
        p.zero("boundary: active and collapsed values coincide", (m["loss_active"] - m["loss_collapsed"]).subs(LAM, thr))
        p.zero("collapsed value h(0) = lam / eta_dec^2", m["loss_collapsed"] - LAM / ED ** 2)
        p.note(f"t* = {m['t']}, active iff lam > {thr}; h(t*) = {m['loss_active']}")
        if learned:
            p.zero("encoder variance at t*: beta eta_dec^2 eta_enc^2 / lam", m["variance"] - BETA * ED ** 2 * EE ** 2 / LAM)
            p.zero("collapsed encoder variance = eta_enc^2 (q = prior)", m["variance_collapsed"] - EE ** 2)
        p.note(f"encoder singular value s / (s^2 + c) at t*: {sp.simplify(m['encoder_sv'])}")
    p.note("at equality (lam = threshold) the unique minimiser is t* = 0: the boundary is classified as collapsed")


def step_numeric(p: Proof) -> None:
    p.step("6. Numerical confirmation (objectives + L-BFGS over ALL parameters, not per mode)")
    from expfam_nash.collapse.problem import vae_problem
    from expfam_nash.collapse.theory import vae_theory

    rng = np.random.default_rng(7)
    for learned in (True, False):
        fn = {v: sp.lambdify((LAM, BETA, EE, ED, V), vae_mode(learned)[k]) for v, k in
              (("t", "t"), ("thr", "threshold"), ("la", "loss_active"))}
        worst = 0.0
        for _ in range(200):
            lam, beta, ee, ed, v = rng.uniform(0.05, 4, 5)
            th = vae_theory([lam], 1, beta, ee, ed, None if learned else v)
            t = fn["t"](lam, beta, ee, ed, v) if lam > fn["thr"](lam, beta, ee, ed, v) else 0.0
            loss = fn["la"](lam, beta, ee, ed, v) if t > 0 else lam / ed ** 2
            const = 0.0 if learned else beta * (v / ee ** 2 - np.log(v / ee ** 2) - 1)
            worst = max(worst, abs(th.decoder_singular_values[0] ** 2 - t), abs(th.loss - loss - const))
        p.check(f"{'learned' if learned else 'fixed'}: collapse.theory = lambdified sympy solution on 200 random points "
                f"(max error {worst:.1e})", worst <= 1e-12)

    def build(learned):
        def make(rng):
            D, d = int(rng.integers(2, 5)), int(rng.integers(1, 4))
            A = random_moment(rng, D, int(rng.integers(1, D + 1)))
            return vae_problem(A, d, rng.uniform(0.3, 2), rng.uniform(0.5, 1.5), rng.uniform(0.3, 1.2),
                               "learned" if learned else float(rng.uniform(0.3, 1.5)))
        return make

    numeric_agreement(p, "Sigma learned", build(True), cases=6, seed=11)
    numeric_agreement(p, "Sigma = v I", build(False), cases=6, seed=12)


def body(p: Proof) -> None:
    rng = np.random.default_rng(2024)
    step_trace_form(p)
    step_encoder_mean(p)
    step_encoder_variance(p, rng)
    step_alignment(p, rng)
    step_modes(p)
    step_numeric(p)


def run() -> bool:
    return execute(NAME, body)


if __name__ == "__main__":
    main_for(NAME, body)
