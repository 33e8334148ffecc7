"""Equilibria, thresholds and stability of the linear-Gaussian pair per eigen-direction, and the
comparison with probabilistic PCA and the ELBO (proofs/linear_gaussian.md)."""
from __future__ import annotations

import numpy as np
import sympy as sp

from expfam_nash.symbolic.lg_equilibria import LAM, S, T, branch_expressions, elbo_1d, linear_gaussian_branches
from expfam_nash.symbolic.linear_gaussian import natural_parameters_1d, one_dimensional_game

from ._common import Proof, execute, main_for

NAME = "linear_gaussian"
MODES = {(False, False): "fixed s, t", (True, False): "decoder learned", (False, True): "encoder learned",
         (True, True): "both learned"}
w, b, v, c = sp.symbols("w b v c", real=True)
W, R = sp.symbols("W r", positive=True)
X = sp.Symbol("x")


def _subs(g, theta, phi):
    out = {}
    for M, A, mask in ((g.theta, theta, g.theta_mask), (g.phi, phi, g.phi_mask)):
        for i, j in zip(*np.nonzero(mask)):
            out[M[i, j]] = sp.sympify(A[i][j])
    return out


def _positive(expr) -> bool:
    """A rational function whose numerator and denominator have coefficients of one sign (positive variables)."""
    num, den = sp.fraction(sp.factor(sp.together(expr)))
    def one_sign(e):
        e = sp.expand(e)
        if not e.free_symbols:
            return 1 if e > 0 else (-1 if e < 0 else 0)
        cs = sp.Poly(e, *sorted(e.free_symbols, key=str)).coeffs()
        return 1 if all(x > 0 for x in cs) else (-1 if all(x < 0 for x in cs) else 0)
    sn, sd = one_sign(num), one_sign(den)
    return sn != 0 and sn == sd


def _hurwitz(poly) -> list:
    """Routh-Hurwitz conditions (each must be > 0) for a monic-normalised polynomial in X, degree <= 4."""
    cs = sp.Poly(sp.expand(poly), X).all_coeffs()
    a = [sp.cancel(ci / cs[0]) for ci in cs]
    n = len(a) - 1
    if n == 1:
        return [a[1]]
    if n == 2:
        return [a[1], a[2]]
    if n == 3:
        return [a[1], a[3], a[1] * a[2] - a[3]]
    if n == 4:
        return [a[1], a[3], a[4], a[1] * a[2] - a[3], a[1] * a[2] * a[3] - a[3] ** 2 - a[1] ** 2 * a[4]]
    raise ValueError("degree > 4")


def _spectrum_verdict(J, threshold=None):
    """(zero-eigenvalue multiplicity, all other factors Hurwitz-positive, undecided conditions)."""
    cp = sp.factor(J.charpoly(X).as_expr(X))
    _, factors = sp.factor_list(sp.numer(sp.together(cp)))
    zero, ok, open_ = 0, True, []
    for f, mult in factors:
        if not f.has(X):
            continue
        if sp.expand(f - X) == 0:
            zero += mult
            continue
        for cond in _hurwitz(f):
            if not _positive(cond):
                if threshold is not None and _positive(sp.cancel(cond / threshold)):
                    open_.append(threshold)
                else:
                    ok = False
                    open_.append(cond)
    return zero, ok, open_


def body(p: Proof) -> None:
    for mode, label in MODES.items():
        dl, el = mode
        p.step(f"{label}: all equilibria (mean coordinates w, b, v, c{', s' if dl else ''}{', t' if el else ''})")
        g = one_dimensional_game(LAM, S, T, dl, el)
        th, ph = natural_parameters_1d(w, b, v, c, S, T, dl, el)
        G = [sp.factor(sp.together(e)) for e in g.gradient.subs(_subs(g, th, ph))]
        unknowns = [w, b, v, c] + ([S] if dl else []) + ([T] if el else [])
        nums = [sp.numer(e) for e in G]
        p.check("bias equations: b + c w = 0 and c + b v = 0 divide two gradient components",
                any(sp.cancel(n / (b + c * w)).is_polynomial(*unknowns) and sp.cancel(n / (b + c * w)).free_symbols <= {S, T, LAM} | set(unknowns) and not sp.cancel(n / (b + c * w)).has(b) for n in nums)
                and any(not sp.cancel(n / (c + b * v)).has(b) and sp.cancel(n / (c + b * v)).is_polynomial(*unknowns) for n in nums))
        p.check("b != 0 would need v w = 1: the system with v w = 1 has no solution",
                sp.solve(nums + [v * w - 1], unknowns, dict=True) == [])
        sols = sp.solve(nums, unknowns, dict=True)
        p.note(f"sympy.solve: {sols}")
        br = branch_expressions(dl, el)["nontrivial"]
        rel = {(False, False): [T * (w ** 2 + S) ** 2 - S * LAM], (True, False): [S - LAM * T, w ** 2 - LAM * (1 - T)],
               (False, True): [T - S / LAM, w ** 2 - (LAM - S)], (True, True): [w ** 2 + S - LAM, T - S / LAM]}[mode]
        good = True
        for sol in sols:
            full = {u: sol.get(u, u) for u in unknowns}
            if full[b] != 0 or full[c] != 0:
                good = False
            if sp.simplify(full[w]) == 0:
                coll = branch_expressions(dl, el)["collapsed"]
                good &= sp.simplify(full[v]) == 0 and sp.simplify(full.get(S, S) - coll["s"]) == 0 \
                    and sp.simplify(full.get(T, T) - coll["t"]) == 0
            else:
                good &= sp.simplify(full[v] - full[w] / (full[w] ** 2 + full.get(S, S))) == 0
                good &= all(sp.simplify(r.subs(full)) == 0 for r in rel)
        p.check("every solution has b = c = 0 and is the collapsed point or satisfies the branch relations", good,
                f"{len(sols)} solution families")
        p.note(f"nontrivial branch: w^2 = {sp.simplify(br['w'] ** 2)}, v = w/(w^2 + s), s = {br['s']}, t = {br['t']}, "
               f"exists iff {br['exists']}")

        p.step(f"{label}: stability (characteristic polynomial of the engine-coordinate Jacobian, Routh-Hurwitz)")
        coll = branch_expressions(dl, el)["collapsed"]
        thc, phc = natural_parameters_1d(0, 0, 0, 0, coll["s"], coll["t"], dl, el)
        Jc = g.jacobian.subs(_subs(g, thc, phc))
        thr = {(False, False): S * T - LAM, (True, False): T - 1, (False, True): S - LAM, (True, True): None}[mode]
        zero, ok, open_ = _spectrum_verdict(Jc, thr)
        if mode == (True, True):
            p.check("collapsed point: exactly one zero eigenvalue, all others negative (end of the continuum)",
                    zero == 1 and ok and not open_)
        else:
            p.check(f"collapsed point: stable iff {thr} > 0 (the only condition not positive by itself)",
                    zero == 0 and ok and open_ and all(o == thr for o in open_), f"conditions {open_}")
        # nontrivial branch in a rational parametrisation
        if mode == (False, False):
            rep, wv, sv, tv = {LAM: T * (W ** 2 + S) ** 2 / S}, W, S, T
        elif mode == (True, False):
            rep, wv, sv, tv = {T: 1 / (1 + R)}, sp.sqrt(LAM * R / (1 + R)), LAM / (1 + R), 1 / (1 + R)
        else:
            rep, wv, sv, tv = {S: LAM / (1 + R)}, sp.sqrt(LAM * R / (1 + R)), LAM / (1 + R), 1 / (1 + R)
        gn = g.subs(rep)
        thn, phn = natural_parameters_1d(wv, 0, wv / (wv ** 2 + sv), 0, sv, tv, dl, el)
        sub = _subs(gn, thn, phn)
        p.zero("nontrivial branch: pseudo-gradient", gn.gradient.subs(sub))
        zero, ok, open_ = _spectrum_verdict(gn.jacobian.subs(sub).applyfunc(sp.simplify))
        expect_zero = 1 if mode == (True, True) else 0
        p.check(f"nontrivial branch: {expect_zero} zero eigenvalue(s); every Hurwitz condition of the other factors is a "
                "polynomial with positive coefficients in positive variables", zero == expect_zero and ok and not open_,
                f"zero {zero}, undecided {open_}")
        gain = sp.simplify((wv * wv / (wv ** 2 + sv)))
        p.note(f"reconstruction gain w v = {gain}")

    p.step("Gains in closed form (lam, s, t)")
    expect = {(False, False): 1 - sp.sqrt(S * T / LAM), (True, False): 1 - T, (False, True): 1 - S / LAM, (True, True): 1 - S / LAM}
    for mode, e in expect.items():
        br = branch_expressions(*mode)["nontrivial"]
        p.zero(f"{MODES[mode]}: w v - ({e})", sp.simplify(br["w"] * br["v"] - e).subs(LAM, 7 * S * T + S + T + 1),
               simplify=lambda z: sp.simplify(sp.radsimp(z)))

    p.step("Classical answers: PPCA maximum likelihood and the ELBO")
    s_, t_ = S, T
    loglik = -sp.log(2 * sp.pi * (w ** 2 + s_)) / 2 - LAM / (2 * (w ** 2 + s_))
    p.check("PPCA, s fixed: d loglik/dw = 0 iff w = 0 or w^2 = lam - s",
            set(sp.solve(sp.diff(loglik, w), w)) == {0, sp.sqrt(LAM - S), -sp.sqrt(LAM - S)})
    p.zero("PPCA, s learned: d loglik/ds = 0 iff w^2 + s = lam (a continuum in 1-D)", sp.numer(sp.together(sp.diff(loglik, s_))).subs(s_, LAM - w ** 2))
    E = elbo_1d(w, v, s_, t_, LAM)
    g = one_dimensional_game(LAM, S, T, False, False)
    Lp = g.L_p.subs({g.theta[0, 0]: w, g.theta[0, 1]: 0, g.phi[0, 0]: v, g.phi[0, 1]: 0})
    p.zero("ELBO - L_p does not depend on the decoder (d/dw)", sp.diff(E - Lp, w))
    p.zero("ELBO - L_p does not depend on the decoder (d/ds)", sp.diff(E - Lp, s_))
    p.check("dELBO/dv = 0 iff v = w/(w^2 + s) (the encoder's best response)", sp.solve(sp.diff(E, v), v) == [w / (w ** 2 + s_)])
    p.check("dELBO/dt = 0 iff t = s/(w^2 + s) (the learned encoder's best response)", sp.solve(sp.diff(E, t_), t_) == [s_ / (w ** 2 + s_)])
    tight = E.subs(v, w / (w ** 2 + s_)).subs(t_, s_ / (w ** 2 + s_))
    p.zero("at the optimal (v, t) the ELBO equals the PPCA log-likelihood", tight - loglik)
    p.note("hence ELBO stationary points = game equilibria in every mode; encoder learned = PPCA ML (w^2 = lam - s)")
    lam_w = T * (W ** 2 + S) ** 2 / S
    Ef = E.subs(LAM, lam_w)
    diff = sp.factor(sp.simplify(Ef.subs({w: W, v: W / (W ** 2 + S)}) - Ef.subs({w: 0, v: 0})))
    p.note(f"fixed (s, t): ELBO(nontrivial) - ELBO(collapsed) = {diff}")
    p.check("... which is > 0: the ELBO optimum is the nontrivial branch whenever it exists", _positive(diff))

    p.step("Numeric cross-check with the engine (expfam_nash.models.linear_gaussian, solve, stability)")
    import expfam_nash as en
    from expfam_nash import models
    cases = [(3.0, 1.0, 1.0, False, False), (0.5, 1.0, 1.0, False, False), (2.0, 0.5, 1.5, False, False),
             (3.0, None, 0.4, True, False), (3.0, None, 1.3, True, False), (3.0, 1.0, None, False, True),
             (0.7, 1.0, None, False, True), (3.0, 1.2, None, True, True)]
    for lam, s, t, dl, el in cases:
        game = models.linear_gaussian(eigenvalues=[lam], latent_dim=1, decoder_var="learned" if dl else s,
                                      encoder_var="learned" if el else t)
        brs = linear_gaussian_branches(lam, s, t, dl, el)
        ok = True
        for br in brs:
            prm = game.params(br.theta, br.phi)
            ok &= game.residual(prm) < 1e-10 and en.stability(game, prm).stable == br.stable
        res = en.solve(game, seed=0)
        gain = float(res.invariants["gain"][0])
        stable_gains = [br.gain for br in brs if br.stable]
        if stable_gains:        # solve certifies an equilibrium on a stable branch
            hit = res.converged and any(abs(gain - g_) < 1e-6 for g_ in stable_gains)
        else:                   # both learned: the run ends on the continuum w^2 + s = lam, t = s / lam
            s_e = game.decoder.family.noise_variances(res.params.theta)[0]
            t_e = game.encoder.family.noise_variances(res.params.phi)[0]
            w_e = game.decoder.family.location_coefficients(res.params.theta)[0, 0]
            hit = abs(w_e ** 2 + s_e - lam) < 1e-6 * lam and abs(t_e - s_e / lam) < 1e-6
        p.check(f"lam={lam}, s={s}, t={t}: branches {[(br.name, br.stable) for br in brs]} are engine equilibria with the same "
                f"certified stability; solve -> gain {gain:.6g}" + ("" if stable_gains else " on the continuum"),
                ok and hit)


def run() -> bool:
    return execute(NAME, body)


if __name__ == "__main__":
    main_for(NAME, body)
