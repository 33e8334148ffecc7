"""The symmetric game on the linear VAE, CVAE and two-level HVAE of seed 003: equilibria per mode, their
stability, and the comparison with the ELBO at beta = 1 (proofs/collapse_game.md)."""
from __future__ import annotations

import numpy as np
import sympy as sp

from expfam_nash.symbolic.collapse_algebra import T, expectation, mat, trace, trace_equal
from expfam_nash.symbolic.network_game import scalar_cvae, scalar_hvae, scalar_vae

from ._common import Proof, execute, main_for

NAME = "collapse_game"
LAM, E, S, V, S1 = sp.symbols("lam e s v sigma1sq", positive=True)
U, W, VV = sp.symbols("u w varsigma", real=True)
P = sp.Symbol("p", positive=True)          # a positive parameter of a branch


def _mean_coordinates(G, learned: bool):
    """The scalar VAE game's gradient and Jacobian in (u, w[, varsigma]) (learned: eta1 = w / v, beta = -1/(2 v))."""
    th, *ph = G.symbols
    sub = {th: U, ph[0]: W} if not learned else {th: U, ph[0]: W / VV, ph[1]: -1 / (2 * VV)}
    return [sp.factor(g.subs(sub)) for g in G.gradient], G.jacobian.subs(sub)


def step_vae_mode(p: Proof) -> None:
    p.step("1. One VAE mode (E x^2 = lam, prior e, decoder s, encoder v): all equilibria, existence, stability")
    for learned in (False, True):
        G = scalar_vae(LAM, E, S, None if learned else V)
        grad, J = _mean_coordinates(G, learned)
        unknowns = [U, W, VV] if learned else [U, W]
        sols = sp.solve(grad, unknowns, dict=True)
        tag = "learned" if learned else "fixed"
        if learned:
            act = {U: sp.sqrt(LAM - S) / sp.sqrt(E), W: sp.sqrt(E) * sp.sqrt(LAM - S) / LAM, VV: E * S / LAM}
            coll = {U: 0, W: 0, VV: E}
        else:
            u2 = sp.sqrt(S * LAM / (V * E)) - S / E
            act = {U: sp.sqrt(u2), W: E * sp.sqrt(u2) / (E * u2 + S)}
            coll = {U: 0, W: 0}
        neg = {k_: (-v_ if k_ in (U, W) else v_) for k_, v_ in act.items()}
        p.check(f"{tag}: sympy finds exactly three solutions; the collapsed point and +-(the closed form below) are "
                "three distinct solutions, hence all of them", len(sols) == 3
                and all(sp.simplify(g.subs(pt)) == 0 for g in grad for pt in (coll, neg)) and sp.simplify(act[U]) != 0)
        p.zero(f"{tag}: the closed form of collapse.game_theory is an equilibrium", sp.Matrix(grad).subs(act))
        p.zero(f"{tag}: the collapsed point is an equilibrium", sp.Matrix(grad).subs(coll))
        if learned:
            p.note("learned: u^2 = (lam - s) / e: the active branch is real iff lam > s")
            _learned_stability(p, J, act, coll)
        else:
            p.zero("fixed: u^2 > 0 iff lam e > s v  [u^2 = (sqrt(lam e s v) - s v) / (e v)]",
                   u2 - (sp.sqrt(LAM * E * S * V) - S * V) / (E * V))
            _fixed_stability(p, J)


def _fixed_stability(p: Proof, J) -> None:
    """2 x 2: trace < 0 always; det > 0 iff stable."""
    p.check("fixed: the diagonal of J is -(lam w^2 + v)/s, -(e u^2 + s)/v < 0 (trace < 0)",
            sp.simplify(J[0, 0] + (LAM * W ** 2 + V) / S) == 0 and sp.simplify(J[1, 1] + (E * U ** 2 + S) / V) == 0)
    det = sp.factor(J.det())
    p.zero("fixed: det J at the collapsed point = (s v - lam e) / (s v): stable iff lam e < s v",
           det.subs({U: 0, W: 0}) - (S * V - LAM * E) / (S * V))
    g = sp.Symbol("g", positive=True)             # the gain u w in (0, 1) on the active branch
    # on the active branch lam w^2 + v = lam w / u and e u^2 + s = e u / w (the best responses)
    num = (LAM * W / U) * (E * U / W) - LAM * E * (1 - 2 * g) ** 2
    p.zero("fixed: on the active branch s v det J = 4 lam e g (1 - g) with g = u w in (0, 1): det > 0",
           sp.expand(num - 4 * LAM * E * g * (1 - g)))


def _learned_stability(p: Proof, J, act, coll) -> None:
    """3 x 3 Routh-Hurwitz: x^3 + a1 x^2 + a2 x + a3 with a1, a3 > 0 and a1 a2 > a3."""
    x = sp.Symbol("x")
    for label, point, lam_sub in (("collapsed", coll, None), ("active", act, {LAM: S + E * P ** 2})):
        M = J.subs(point)
        if lam_sub:
            M = M.subs(lam_sub)
        cp = sp.Poly(sp.factor((x * sp.eye(3) - M).det()), x)
        a = [sp.factor(c / cp.LC()) for c in cp.all_coeffs()[1:]]
        hurwitz = [a[0], a[2], sp.factor(a[0] * a[1] - a[2])]
        if label == "collapsed":
            x2 = sp.expand((x + 2 * E ** 2) * (S * x ** 2 + E * (1 + S ** 2) * x + E ** 2 * (S - LAM)))
            p.zero("learned, collapsed: s det(x - J) = (x + 2 e^2)(s x^2 + e (1 + s^2) x + e^2 (s - lam)); a quadratic "
                   "with positive leading and middle coefficients is Hurwitz iff its constant is > 0: stable iff lam < s, "
                   "a saddle iff lam > s", sp.expand(S * cp.as_expr() / cp.LC()) - x2)
        else:
            pos = all(_positive_rational(h) for h in hurwitz)
            p.check("learned, active (lam = s + e u^2, u = p > 0): a1, a3 and a1 a2 - a3 are ratios of polynomials with "
                    "positive coefficients: stable wherever the branch exists", pos)


def _positive_rational(expr) -> bool:
    num, den = sp.fraction(sp.factor(expr))
    ok = True
    for part in (num, den):
        for factor_ in sp.Mul.make_args(part):
            base = factor_.base if isinstance(factor_, sp.Pow) else factor_
            if base.is_number:
                ok &= bool(base > 0)
                continue
            poly = sp.Poly(sp.expand(base), *sorted(base.free_symbols, key=str))
            ok &= all(c > 0 for c in poly.coeffs())
    return ok


def step_elbo_mode(p: Proof) -> None:
    p.step("2. The same mode under the beta = 1 ELBO: its stationary points are the game's equilibria")
    for learned in (False, True):
        var = VV if learned else V
        # twice the negative ELBO per mode (collapse/objectives.py, beta = 1), constants dropped
        loss = (LAM * (1 - U * W) ** 2 + U ** 2 * var) / S + (W ** 2 * LAM + var) / E - (sp.log(var) if learned else 0)
        unknowns = [U, W, VV] if learned else [U, W]
        stat = sp.solve([sp.diff(loss, x) for x in unknowns], unknowns, dict=True)
        G = scalar_vae(LAM, E, S, None if learned else V)
        game = sp.solve(_mean_coordinates(G, learned)[0], unknowns, dict=True)
        same = {tuple(sp.simplify(d[x]) for x in unknowns) for d in stat} == \
            {tuple(sp.simplify(d[x]) for x in unknowns) for d in game}
        p.check(f"{'learned' if learned else 'fixed'}: the ELBO's stationary points = the game's equilibria (as sets)", same)
    p.note("so at beta = 1 the game and the ELBO share the per-mode branches and thresholds (lam > s learned, "
           "lam > s v / e fixed); the ELBO selects the active branch above the threshold (part 1, claim 9), the game "
           "makes it the only stable one (step 1)")


def step_cvae(p: Proof) -> None:
    p.step("3. CVAE: in y~ = y - B x (E[y~ x'] = 0) the x-parts of both gradients are exact linear maps")
    x, yt, n, Z = mat("x"), mat("y~"), mat("n"), mat("Z")
    U1, V2, W1p, W2, X, Ey, Sg = mat("U1"), mat("V2"), mat("W1p"), mat("W2"), mat("X", True), mat("E", True), mat("S", True)
    names = ("x", "y~", "n")
    mom = {(a, b): 0 for a in names for b in names if a != b}
    mom.update({("x", "x"): X, ("y~", "y~"): Ey, ("n", "n"): Sg})
    z = W1p * x + W2 * yt + n                         # wake: W1 x + W2 y = (W1 + W2 B) x + W2 y~ = W1p x + W2 y~
    r = yt - U1 * z - V2 * x                          # y - U1 z - U2 x with V2 = U2 - B
    p.check("wake: tr(Z E[r x']) = -tr(Z (V2 + U1 W1p) X): s grad_U2 = -(V2 + U1 W1p) Cxx",
            trace_equal(expectation(T(x) * Z * r, mom), trace(-Z * (V2 + U1 * W1p) * X)))
    zs, xs, ns = mat("z"), mat("x"), mat("m")
    mom2 = {(a, b): 0 for a in ("z", "x", "m") for b in ("z", "x", "m") if a != b}
    mom2.update({("z", "z"): mat("P", True), ("x", "x"): X, ("m", "m"): mat("R", True)})
    ys = U1 * zs + V2 * xs + ns                        # sleep: y~ = U1 z + V2 x + noise, z independent of x
    rs = zs - W1p * xs - W2 * ys
    p.check("sleep: the encoder's residual against x: E[(z - W1p x - W2 y~) x'] = -(W1p + W2 V2) Cxx",
            trace_equal(expectation(T(xs) * Z * rs, mom2), trace(-Z * (W1p + W2 * V2) * X)))
    p.note("the CVAE's encoder gradient is the primed one times T' (T = [[I, 0], [B, I]], a change of basis of its "
           "features), so it vanishes iff the primed one does: at an equilibrium (V2 + U1 W1p) Cxx = 0 and "
           "(W1p + W2 V2) Cxx = 0, hence (I - U1 W2) V2 Cxx = 0")
    rng = np.random.default_rng(7)
    ok, top = True, 0.0
    for _ in range(200):
        dy, k = int(rng.integers(1, 6)), int(rng.integers(1, 6))
        U1, e, s = rng.standard_normal((dy, k)) * rng.uniform(0.01, 10), rng.uniform(0.1, 10), rng.uniform(0.1, 10)
        W2 = e * U1.T @ np.linalg.inv(e * U1 @ U1.T + s * np.eye(dy))      # the encoder's best response on y~
        ev = np.linalg.eigvals(U1 @ W2)
        ok &= bool(np.max(np.abs(ev.imag)) <= 1e-9 and np.min(ev.real) >= -1e-9 and np.max(ev.real) < 1.0)
        top = max(top, float(np.max(ev.real)))
    p.check("at the encoder's best response W2 = e U1'(e U1 U1' + s)^-1, U1 W2 = N (N + s)^-1 (N = e U1 U1') has "
            "real eigenvalues mu / (mu + s) in [0, 1): 200 random cases", ok, f"largest {top:.6f}")
    p.note("therefore V2 = 0 and W1p = 0 on range(Cxx) at every equilibrium: U2 = B, W1 = -W2 B, and (U1, W2, Sigma) is "
           "an equilibrium of the VAE game on E (the y~-parts of the gradients are the VAE's on E)")
    a, b, c = sp.symbols("a b c", positive=True)
    G = scalar_cvae(a, c, b, E, S, V)
    th1, th2, ph1, ph2 = G.symbols                     # theta = [U1 | U2] on (z, x); phi = [W1 | W2] on (x, y)
    G0 = scalar_vae(LAM, E, S, V)
    sub = {th2: c / a, ph1: -ph2 * c / a}
    gv = G0.gradient.subs({G0.symbols[0]: th1, G0.symbols[1]: ph2, LAM: b - c ** 2 / a})
    gc = G.gradient.subs(sub)
    p.zero("scalar CVAE at U2 = B, W1 = -W2 B: the x-gradients vanish", sp.Matrix([gc[1], gc[2] * a]))
    p.zero("scalar CVAE at U2 = B, W1 = -W2 B: the (U1, W2)-gradients are the VAE mode's on E = b - c^2 / a",
           sp.Matrix([gc[0] - gv[0], sp.factor(gc[3] - gv[1])]))


def step_hvae(p: Proof) -> None:
    p.step("4. HVAE mode: each level is a VAE mode game given the other (level 1: prior e1 = e u2^2 + s; level 2: data "
           "m1 = lam w1^2 + sigma1^2)")
    for learned in (False, True):
        v2 = None if learned else V
        G = scalar_hvae(LAM, E, S, S1, v2)
        syms = G.symbols                               # theta: u1 (x|z1), u2 (z1|z2); phi: w1 (z1|x), level-2 block
        u1, u2, w1 = syms[0], syms[1], syms[2]
        lvl2 = syms[3:]
        g = G.gradient
        m1 = LAM * w1 ** 2 + S1
        e1 = E * u2 ** 2 + S
        ep, mp = sp.symbols("e_1 m_1", positive=True)        # placeholders: the games' own symbols share names
        G1 = scalar_vae(LAM, ep, S, S1)
        G2 = scalar_vae(mp, E, S, v2)
        g1 = G1.gradient.subs({G1.symbols[0]: u1, G1.symbols[1]: w1}, simultaneous=True).subs(ep, e1)
        g2 = G2.gradient.subs(dict(zip(G2.symbols, [u2, *lvl2])), simultaneous=True).subs(mp, m1)
        tag = "learned" if learned else "fixed"
        p.zero(f"{tag}: level-1 gradients (u1, w1) = the VAE mode's with data lam, prior e1, encoder sigma1^2",
               sp.Matrix([g[0] - g1[0], g[2] - g1[1]]))
        p.zero(f"{tag}: level-2 gradients = the VAE mode's with data m1, prior e, encoder Sigma2",
               sp.Matrix([g[1] - g2[0]] + [g[3 + i] - g2[1 + i] for i in range(len(lvl2))]))
        J = G.jacobian
        lvl1_idx, lvl2_idx = [0, 2], [1] + [3 + i for i in range(len(lvl2))]
        cross = sp.Matrix([J[i, j] for i in lvl1_idx for j in lvl2_idx] + [J[j, i] for i in lvl1_idx for j in lvl2_idx])
        p.zero(f"{tag}: level 1 collapsed (u1 = w1 = 0): the cross-level blocks of J vanish", cross.subs({u1: 0, w1: 0}))
        zero2 = {u2: 0, lvl2[0]: 0}
        p.zero(f"{tag}: level 2 collapsed (u2 = w2 = 0): the cross-level blocks of J vanish", cross.subs(zero2))
    p.note("so at the branches (0,0), (0,1), (1,0) the spectrum is the union of the two levels' VAE-mode spectra "
           "(step 1); each level has the two branches of step 1 given the other, and the (1,1) branch solves one "
           "monotone equation in e1 (learned: e1 = m1 = sigma1^2 lam / s; fixed: e1^(3/2) = e sigma1 sqrt(lam s) / v2)")
    x_ = sp.Symbol("x", positive=True)
    p.zero("fixed (1,1): e1 = (e sigma1 sqrt(lam s) / v2)^(2/3) solves e1^2 = s e m1 / v2 with m1 = sigma1 sqrt(lam e1 / s)",
           sp.simplify((x_ ** 2 - S * E * sp.sqrt(S1 * LAM * x_ / S) / V).subs(
               x_, (E * sp.sqrt(S1 * LAM * S) / V) ** sp.Rational(2, 3))))


def step_numeric(p: Proof) -> None:
    p.step("5. Numerically: every closed-form branch is an engine equilibrium with the predicted stability; the stable "
           "branch is the ELBO's global minimiser at beta1 = beta2 = 1 (300 random HVAE modes, 200 VAE modes)")
    from ._game import branch_agreement
    out = branch_agreement(np.random.default_rng(20260), hvae_cases=300, vae_cases=200)
    p.check(f"largest relative residual {out['residual']:.1e} <= 1e-9", out["residual"] <= 1e-9)
    p.check(f"stability predictions confirmed by the spectrum: {out['stability_mismatch']} mismatches",
            out["stability_mismatch"] == 0)
    p.check(f"exactly one stable branch per mode away from thresholds ({out['unique_failures']} failures)",
            out["unique_failures"] == 0)
    p.check(f"its collapse pattern = the beta = 1 ELBO minimiser's ({out['elbo_mismatch']} mismatches)",
            out["elbo_mismatch"] == 0)


def run() -> bool:
    def body(p: Proof) -> None:
        step_vae_mode(p)
        step_elbo_mode(p)
        step_cvae(p)
        step_hvae(p)
        step_numeric(p)
    return execute(NAME, body)


if __name__ == "__main__":
    main_for(NAME, lambda p: (step_vae_mode(p), step_elbo_mode(p), step_cvae(p), step_hvae(p), step_numeric(p)))
