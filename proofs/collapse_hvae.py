"""Global minimum of the two-level linear HVAE (Sigma2 learned, Sigma2 = sigma2^2 I fixed) per mode, general in
the dimensions (proofs/collapse_hvae.md)."""
from __future__ import annotations

import numpy as np
import sympy as sp

from expfam_nash.symbolic.collapse_algebra import T, expectation, mat, trace, trace_equal
from expfam_nash.symbolic.collapse_modes import B1, B2, ED, EE, LAM, MU, SIG1, SIG2, hvae_mode, level2_phi

from ._collapse import numeric_agreement, random_moment
from ._common import Proof, execute, main_for

NAME = "collapse_hvae"
R = sp.Symbol("r", positive=True)


def step_trace_form(p: Proof) -> None:
    p.step("1. The loss in second moments: z1 = W1 x + n1, z2 = W2 z1 + n2; E[n1 n1'] = S1, E[n2 n2'] = S2")
    x, n1, n2 = mat("x"), mat("n1"), mat("n2")
    U1, W1, U2, W2 = mat("U1"), mat("W1"), mat("U2"), mat("W2")
    A, S1, S2 = mat("A", True), mat("S1", True), mat("S2", True)
    mom = {(a, b): 0 for a in ("x", "n1", "n2") for b in ("x", "n1", "n2") if a != b}
    mom.update({("x", "x"): A, ("n1", "n1"): S1, ("n2", "n2"): S2})
    z1 = W1 * x + n1
    z2 = W2 * z1 + n2
    C1 = W1 * A * T(W1) + S1
    r1, r2 = x - U1 * z1, z1 - U2 * z2
    p.check("E|x - U1 z1|^2 = tr A - 2 tr(U1 W1 A) + tr(U1'U1 C1), C1 = W1 A W1' + S1 (objectives.HVAEObjective)",
            trace_equal(expectation(T(r1) * r1, mom), trace(A) - 2 * trace(U1 * W1 * A) + trace(T(U1) * U1 * C1)))
    p.check("E|z1 - U2 z2|^2 = tr((I - U2 W2) C1 (I - U2 W2)') + tr(U2 S2 U2')",
            trace_equal(expectation(T(r2) * r2, mom), trace((1 - U2 * W2) * C1 * T(1 - U2 * W2)) + trace(U2 * S2 * T(U2))))
    p.check("E|W2 z1|^2 = tr(W2 C1 W2')", trace_equal(expectation(T(W2 * z1) * (W2 * z1), mom), trace(W2 * C1 * T(W2))))
    p.note("so L = level-1 term + beta1 L_VAE[C1; beta' = beta2 / beta1](U2, W2, Sigma2): given W1 the level-2 problem is "
           "the VAE on the second moment C1 of z1 (proofs/collapse_vae.md), whose minimum depends only on the "
           "eigenvalues mu_j of C1: beta1 (sum_(top min(d1,d2)) phi(mu_j) + sum_(others) mu_j / eta_dec^2)")


def step_level_one(p: Proof, rng) -> None:
    p.step("2. Minimising out U1 given W1: K1 C1 = A W1' (C1 > 0 since S1 = sigma1^2 I > 0)")
    U1, W1, A, S1, K1, D = mat("U1"), mat("W1"), mat("A", True), mat("S1", True), mat("K1"), mat("D")
    rules = {("K1", "W1", "A", "W1'"): [(1, ("A", "W1'")), (-1, ("K1", "S1"))]}
    Q = lambda U_: trace((1 - U_ * W1) * A * T(1 - U_ * W1)) + trace(U_ * S1 * T(U_))
    p.check("Q1(K1 + D) = Q1(K1) + tr(D C1 D')", trace_equal(Q(K1 + D), Q(K1) + trace(D * (W1 * A * T(W1) + S1) * T(D)), rules))
    p.check("Q1(K1) = tr A - tr(K1 W1 A)", trace_equal(Q(K1), trace(A) - trace(K1 * W1 * A), rules))
    p.note("tr(K1 W1 A) = tr(C1^-1 W1 A^2 W1') = tr(B' C1^-1 B A) with B = W1 A^(1/2), C1 = B B' + sigma1^2 I")
    s2 = sp.Symbol("s2", nonnegative=True)
    w = s2 / (s2 + SIG1 ** 2)
    p.check("B'(B B' + sigma1^2)^-1 B = sum_j w_j r_j r_j', w_j = s_j^2 / (s_j^2 + sigma1^2) increasing in s_j^2",
            sp.simplify(sp.diff(w, s2) - SIG1 ** 2 / (s2 + SIG1 ** 2) ** 2) == 0)
    mu = s2 + SIG1 ** 2
    p.zero("lam (1 - w_j) = lam sigma1^2 / mu_j with mu_j = s_j^2 + sigma1^2 the eigenvalue of C1",
           LAM * (1 - w) - LAM * SIG1 ** 2 / mu)
    p.note("weighted Ky Fan (proofs/collapse_vae.md, lemma): tr(B' C1^-1 B A) <= sum_j w_j lam_j, equality when the right "
           "singular vectors of B are eigenvectors of A; so min_U1 level-1 term >= sum_j lam_j sigma1^2 / (mu_j eta_dec^2) "
           "+ sum_(i > d1) lam_i / eta_dec^2")
    p.note("rearrangement: for a fixed multiset {mu_j}, pairing the largest mu with the largest lam minimises "
           "sum lam_j / mu_j, and the level-2 term is symmetric in the mu_j: the minimum over W1 is the minimum over "
           "mu in [sigma1^2, inf)^d1 (any order) of G(mu) = sum_j lam_j sigma1^2 / (mu_j eta_dec^2) + beta1 F2(mu)")


def _case(kappa, r):
    """Substitution making sigma1^2 = kappa / (1 + r) (r > 0: sigma1^2 < kappa; r a square - 1 so that square roots
    stay rational), solved for the variable kappa
    depends on besides the betas and etas (sigma1 for Sigma2 learned, sigma2 for Sigma2 fixed)."""
    if kappa.has(SIG2):
        return {SIG2: [v for v in sp.solve(sp.Eq(kappa, SIG1 ** 2 * (1 + r)), SIG2) if v.is_positive is not False][0]}
    return {SIG1: sp.sqrt(kappa / (1 + r))}


def _positive(expr) -> bool:
    return sp.simplify(sp.factor(sp.simplify(expr))).is_positive is True


def _covers(p: Proof, learned: bool) -> None:
    h, phi = hvae_mode(learned), level2_phi(learned)
    kappa = h["kappa"]
    label = "Sigma2 learned" if learned else "Sigma2 = sigma2^2 I"
    p.step(f"3. One level-1 mode covered by a level-2 latent ({label}): f2(mu) = lam sigma1^2/(mu eta_dec^2) + beta1 phi(mu)")
    p.zero("phi is continuous at its threshold kappa", (phi["active"] - phi["collapsed"]).subs(MU, kappa))
    p.zero("phi is C^1 at kappa", sp.diff(phi["active"] - phi["collapsed"], MU).subs(MU, kappa))
    p.check("phi is concave above kappa (phi'' <= 0)", sp.simplify(-sp.diff(phi["active"], MU, 2)).is_nonnegative is True)
    p.check("psi = mu^2 eta_dec^2 f2'(mu) is strictly increasing on both pieces",
            sp.simplify(sp.diff(h["psi_low"], MU)).is_positive is True and sp.simplify(sp.diff(h["psi_high"], MU)).is_positive is True)
    p.zero("psi is continuous at kappa", (h["psi_low"] - h["psi_high"]).subs(MU, kappa))
    p.note(f"psi_low = {h['psi_low']}, psi_high = {h['psi_high']}: f2 decreases then increases; its minimiser on "
           "[sigma1^2, inf) is mu* = max(sigma1^2, root of psi)")
    p.zero("the low root reaches kappa exactly at lam_break", h["root_low"].subs(LAM, h["lam_break"]) - kappa)
    p.check("root = root_low for lam <= lam_break, root_high beyond (psi(kappa) >= 0 iff lam <= lam_break)",
            sp.simplify(h["psi_low"].subs(MU, kappa).subs(LAM, h["lam_break"] / (1 + R))).is_positive is True
            and sp.simplify(h["psi_low"].subs(MU, kappa).subs(LAM, h["lam_break"] * (1 + R))).is_negative is True)
    p.note(f"lam_break = {h['lam_break']}; root_low = {h['root_low']}; root_high = {h['root_high']}")
    p.note(f"level 1 active iff root > sigma1^2: low piece iff lam > {h['threshold_low']}, high piece iff lam > "
           f"{h['threshold_high']}; level 2 active iff mu* > kappa = {kappa}")
    below, above = _case(kappa, R * (R + 2)), _case(kappa, 1 / (1 + R) ** 2 - 1)   # 1 + r = (1 + R)^(+-2)
    p.check("if sigma1^2 < kappa: threshold_low < lam_break (the level-1 threshold is threshold_low) and "
            "threshold_low < threshold_high",
            _positive((h["lam_break"] - h["threshold_low"]).subs(below))
            and _positive((h["threshold_high"] - h["threshold_low"]).subs(below)))
    p.check("if sigma1^2 > kappa: mu* > kappa always (level 2 always active), the level-1 threshold is threshold_high "
            "< threshold_low", _positive((h["threshold_low"] - h["threshold_high"]).subs(above)))
    p.check("so the level-1 threshold is min(threshold_low, threshold_high) in both cases (equality at sigma1^2 = kappa)",
            sp.simplify((h["threshold_low"] - h["threshold_high"]).subs(_case(kappa, 0))) == 0)
    pw, q = (1, 1) if learned else (sp.Rational(3, 2), sp.Rational(1, 2))
    p.check(f"psi1 - psi2 = beta1 mu^{pw} (mu^{q} - kappa^{q}) >= 0 for mu >= kappa, psi1 = beta1 mu^2 - lam sigma1^2: "
            "the covered minimiser mu2* >= the uncovered mu1*",
            sp.simplify((h["psi_low"] - h["psi_high"]) / (B1 * MU ** pw * (MU ** q - kappa ** q))) == 1)
    p.zero("lambdify check: root_high solves psi_high", h["psi_high"].subs(MU, h["root_high"]))


def step_assignment(p: Proof) -> None:
    p.step("4. Which modes get a level-2 latent: the top min(d1, d2)")
    p.note("F2(mu) = sum_j mu_j / eta_dec^2 - max_(|S| = m) sum_(j in S) g(mu_j) with g = mu / eta_dec^2 - phi >= 0 "
           "nondecreasing (phi' <= 1/eta_dec^2); so min G = min_S [sum_(S) m2(lam_j) + sum_(not S) m1(lam_j)] = "
           "sum_j m1(lam_j) - max_S sum_(S) D(lam_j), D = m1 - m2 >= 0")
    p.note("envelope theorem: m_i(lam) = min_mu [lam sigma1^2 / (mu eta_dec^2) + pen_i(mu)] is concave with slope "
           "sigma1^2 / (mu_i* eta_dec^2); mu2* >= mu1* (step 3) gives D' >= 0, so S = the largest eigenvalues")
    for learned in (True, False):
        h = hvae_mode(learned)
        g1 = sp.diff(h["f_uncovered"], MU)
        p.check(f"{'learned' if learned else 'fixed'}: the uncovered mode's f1 has psi1 = beta1 mu^2 - lam sigma1^2 "
                "(threshold beta1 sigma1^2)", sp.simplify(g1 * MU ** 2 * ED ** 2 - h["psi_low"]) == 0)


def step_numeric(p: Proof) -> None:
    p.step("5. Numerical confirmation (objectives + L-BFGS over ALL parameters, every regime)")
    from expfam_nash.collapse.problem import hvae_problem
    from expfam_nash.collapse.theory import hvae_theory

    rng = np.random.default_rng(5)
    for learned in (True, False):
        h, phi = hvae_mode(learned), level2_phi(learned)
        args = (LAM, B1, B2, EE, ED, SIG1, SIG2)
        f = {k: sp.lambdify(args, h[k]) for k in ("root_low", "root_high", "lam_break", "kappa")}
        fphi = sp.lambdify((MU, B1, B2, EE, ED, SIG2), phi["active"])
        worst = 0.0
        for _ in range(300):
            vals = rng.uniform(0.05, 3, 7)
            lam, b1, b2, ee, ed, s1, s2 = vals
            th = hvae_theory([lam], (1, 1), b1, b2, ee, ed, s1, None if learned else s2)
            root = f["root_low"](*vals) if lam <= f["lam_break"](*vals) else f["root_high"](*vals)
            mu = max(s1 ** 2, root)
            kap = f["kappa"](*vals)
            ph = fphi(mu, b1, b2, ee, ed, s2) if mu > kap else mu / ed ** 2
            const = 0.0 if learned else b2 * (s2 ** 2 / ee ** 2 - np.log(s2 ** 2 / ee ** 2) - 1)
            loss = lam * s1 ** 2 / (mu * ed ** 2) + b1 * ph + const
            u1 = np.sqrt(lam * (mu - s1 ** 2)) / mu
            worst = max(worst, abs(th.loss - loss) / max(1, abs(loss)), abs(th.decoder_singular_values[0][0] - u1))
        p.check(f"{'learned' if learned else 'fixed'}: collapse.theory = lambdified sympy solution on 300 random points "
                f"(max error {worst:.1e})", worst <= 1e-12)

    def build(learned, regime):
        def make(rng):
            D, d1, d2 = int(rng.integers(2, 5)), int(rng.integers(1, 4)), int(rng.integers(1, 4))
            A = random_moment(rng, D, int(rng.integers(1, D + 1)))
            s1 = rng.uniform(0.2, 0.9)
            b1 = rng.uniform(0.5, 2)
            ed = rng.uniform(0.3, 0.9)
            # regime "a<b": beta1 sigma1^2 < beta2 eta_dec^2 ; "a>b": the reverse
            b2 = b1 * s1 ** 2 / ed ** 2 * (rng.uniform(1.2, 3) if regime == "a<b" else rng.uniform(0.2, 0.8))
            return hvae_problem(A, (d1, d2), s1, "learned" if learned else float(rng.uniform(0.3, 1.5)), b1, b2,
                                rng.uniform(0.5, 1.5), ed)
        return make

    for learned in (True, False):
        for i, regime in enumerate(("a<b", "a>b")):
            numeric_agreement(p, f"Sigma2 {'learned' if learned else 'fixed'}, {regime}", build(learned, regime),
                              cases=3, seed=31 + 2 * i + learned)


def body(p: Proof) -> None:
    rng = np.random.default_rng(404)
    step_trace_form(p)
    step_level_one(p, rng)
    for learned in (True, False):
        _covers(p, learned)
    step_assignment(p)
    step_numeric(p)


def run() -> bool:
    return execute(NAME, body)


if __name__ == "__main__":
    main_for(NAME, body)
