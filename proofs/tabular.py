"""Equilibrium sets of the tabular game without and with the labelled anchor (proofs/tabular.md)."""
from __future__ import annotations

import numpy as np
import sympy as sp

from expfam_nash.symbolic.tabular import tabular_game

from ._common import Proof, execute, main_for

NAME = "tabular"


def _coupling_subs(g, C):
    """theta[x-1, z] = log C(x,z)/C(0,z), phi[z-1, x] = log C(x,z)/C(x,0)."""
    nx, nz = C.shape
    sub = {g.theta[i - 1, j]: sp.log(C[i, j] / C[0, j]) for i in range(1, nx) for j in range(nz)}
    sub.update({g.phi[j - 1, i]: sp.log(C[i, j] / C[i, 0]) for i in range(nx) for j in range(1, nz)})
    return sub


def body(p: Proof) -> None:
    alpha = sp.Symbol("alpha", positive=True)
    p.step("Best responses (rho = 0): the decoder's gradient in column z is m_p(x, z) - m_p(z) p(x|z) (x >= 1)")
    P = sp.Matrix(2, 3, sp.symbols("P0:6", positive=True))
    g = tabular_game(P, alpha, 0)
    th, ph = g.theta, g.phi
    pix = [sum(P[i, :]) for i in range(2)]
    q = lambda i, j: sp.exp(ph[j - 1, i] if j else 0) / (1 + sum(sp.exp(ph[c, i]) for c in range(2)))
    pr = lambda i, j: sp.exp(th[i - 1, j] if i else 0) / (1 + sp.exp(th[0, j]))
    mp = lambda i, j: (1 - alpha) * pix[i] * q(i, j) + alpha * P[i, j]
    G = g.gradient
    p.zero("grad_theta[0, z] - (m_p(1, z) - m_p(z) p(1|z)), z = 0, 1, 2",
           sp.Matrix([G[j] - (mp(1, j) - (mp(0, j) + mp(1, j)) * pr(1, j)) for j in range(3)]))
    p.note("so the gradient vanishes iff p(.|z) = m_p(., z) / m_p(z) (Gibbs: the unique maximiser); "
           "the encoder mirrors this with m_q = (1-alpha) pi(z) p(x|z) + alpha P(x, z)")

    p.step("alpha = 0: every full-support coupling C of pi(x), pi(z) is an equilibrium (symbolic C, 2x2 and 3x2)")
    for shape in ((2, 2), (3, 2)):
        C = sp.Matrix(*shape, sp.symbols(f"C0:{shape[0] * shape[1]}", positive=True))
        g0 = tabular_game(C, 0, 0)
        p.zero(f"{shape}: pseudo-gradient at the coupling's conditionals", g0.gradient.subs(_coupling_subs(g0, C)))

    p.step("Reduction of the fixed-point equations (any NX, NZ): J_p = pi(z) p(x|z), J_q = pi(x) q(z|x)")
    a, u, v, Lxz = sp.symbols("a u v L", positive=True)
    c = 1 - a
    Jq = a * v * (1 + c * u) * Lxz / (1 - c ** 2 * u * v)
    Jp = a * u * (1 + c * v) * Lxz / (1 - c ** 2 * u * v)
    p.note("u_z = pi(z)/m_p(z), v_x = pi(x)/m_q(x); the best responses read J_p = u ((1-a) J_q + a L), J_q = v ((1-a) J_p + a L)")
    p.zero("J_p - u ((1-a) J_q + a L) with J_q = a v (1 + c u) L / (1 - c^2 u v)", Jp - u * (c * Jq + a * Lxz))
    p.zero("J_q - v ((1-a) J_p + a L)", Jq - v * (c * Jp + a * Lxz))
    f = Jp / Lxz
    p.zero("f(u, v) - 1 - (u (a + c v) - 1)/(1 - c^2 u v)   [f = J_p / L]", f - 1 - (u * (a + c * v) - 1) / (1 - c ** 2 * u * v))
    p.note("marginal equations: sum_x L(x,z) (f(u_z, v_x) - 1) = 0 for every z, sum_z L(x,z) (f(v_x, u_z) - 1) = 0 for every x")
    pp, Q = sp.symbols("p Q", positive=True)
    p.zero("p (a + c Q) - Q (a + c p) - a (p - Q)   [the max/min comparison]", pp * (a + c * Q) - Q * (a + c * pp) - a * (pp - Q))
    kappa = sp.Symbol("kappa")
    roots = sp.solve(sp.Eq(kappa * (a + c * kappa), 1), kappa)
    p.check("kappa (a + c kappa) = 1 has the roots 1 and -1/(1-a): the only positive one is 1",
            set(sp.simplify(r) for r in roots) == {sp.Integer(1), sp.simplify(-1 / c)}, str(roots))
    p.note("max principle (proofs/tabular.md): u_min >= v_max >= v_min >= u_max >= u_min, so u = v = 1 and J_p = J_q = L")
    p.note("alpha = 0 (a = 0): J_p = u_z J_q and J_q = v_x J_p give u_z v_x = 1 for all (x, z), so u = kappa, v = 1/kappa; "
           "summing J_p = kappa J_q over (x, z) gives kappa = 1: J_p = J_q, a coupling")

    p.step("alpha > 0, any positive marginals: the marginal equations are a contraction in log coordinates")
    A, B, C = sp.symbols("a_ b_ c_", positive=True)
    F = A * (1 + C * B) / (1 - C ** 2 * A * B)              # alpha F, the constant alpha dropped (log-derivatives)
    dlog_a = sp.diff(sp.log(F), A) * A
    dlog_b = sp.diff(sp.log(F), B) * B
    pq = C ** 2 * A * B
    p.zero("d log F / d log a - 1/(1 - p),  p = c^2 a b", dlog_a - 1 / (1 - pq))
    p.zero("d log F / d log b - (c b/(1 + c b) + p/(1 - p))", dlog_b - (C * B / (1 + C * B) + pq / (1 - pq)))
    ratio = sp.simplify(dlog_b / dlog_a)
    p.zero("rho = (d log F / d log b) / (d log F / d log a) - (p + (1 - p) q/(1 + q)),  q = c b",
           ratio - (pq + (1 - pq) * C * B / (1 + C * B)))
    p.zero("1 - rho - (1 - p)/(1 + q)   [> 0 on the domain p < 1]", 1 - ratio - (1 - pq) / (1 + C * B))
    p.note("so |d log u_z| <= max rho |d log v|, rho < 1: U and V contract the sup-norm of log ratios, and two "
           "solutions would give D_u <= r r' D_u with r r' < 1 (proofs/tabular.md)")

    p.step("alpha > 0: the labelled joint itself is an equilibrium (symbolic L, 2x2 and 2x3, symbolic alpha, rho = 0)")
    for shape in ((2, 2), (2, 3)):
        Lm = sp.Matrix(*shape, sp.symbols(f"L0:{shape[0] * shape[1]}", positive=True))
        ga = tabular_game(Lm, alpha, 0)
        p.zero(f"{shape}: pseudo-gradient at L's conditionals", ga.gradient.subs(_coupling_subs(ga, Lm)))

    p.step("alpha = 0: exact nullity of J on the coupling set equals (NX-1)(NZ-1) (rational couplings)")
    for C in (sp.Matrix([[sp.Rational(1, 10), sp.Rational(2, 10)], [sp.Rational(3, 10), sp.Rational(4, 10)]]),
              sp.Matrix([[sp.Rational(1, 12), sp.Rational(2, 12)], [sp.Rational(3, 12), sp.Rational(1, 12)],
                         [sp.Rational(2, 12), sp.Rational(3, 12)]])):
        g0 = tabular_game(C, 0, 0)
        J = g0.jacobian.subs(_coupling_subs(g0, C)).applyfunc(sp.nsimplify)
        nx, nz = C.shape
        p.check(f"{nx}x{nz}: nullity of J = {(nx - 1) * (nz - 1)}", J.shape[0] - J.rank() == (nx - 1) * (nz - 1),
                f"rank {J.rank()} of {J.shape[0]}")

    p.step("Numeric cross-check with the engine (random joints 3x3 and 4x3)")
    import expfam_nash as en
    from expfam_nash import models
    from expfam_nash.symbolic.tabular import coupling_parameters
    rng = np.random.default_rng(2)
    for nx, nz in ((3, 3), (4, 3)):
        Pn = rng.dirichlet(np.ones(nx * nz)).reshape(nx, nz)
        px, pz = Pn.sum(1), Pn.sum(0)
        game = models.tabular(Pn)
        E = rng.normal(size=(nx, nz))
        E -= E.mean(0)
        E -= E.mean(1, keepdims=True)
        Cn = np.outer(px, pz) + 0.8 * E * np.outer(px, pz).min() / np.abs(E).max()
        prm = game.params(*coupling_parameters(Cn))
        eig = np.sort(np.linalg.eigvals(game.jacobian(prm)).real)[::-1]
        kdim = (nx - 1) * (nz - 1)
        p.check(f"{nx}x{nz} alpha = 0: coupling residual < 1e-12, {kdim} zero eigenvalues, the rest < 0",
                game.residual(prm) < 1e-12 and np.all(np.abs(eig[:kdim]) < 1e-10) and eig[kdim] < -1e-8,
                f"largest nonzero Re {eig[kdim]:.3g}")
        _distinct_marginals_check(p, nx, nz, rng)
        for a_ in (0.1, 0.6):
            ga = models.tabular(Pn, alpha=a_)
            star = ga.params(*coupling_parameters(Pn))
            dist = max(np.abs(en.solve(ga, seed=s).params.theta - star.theta).max() for s in range(3))
            p.check(f"{nx}x{nz} alpha = {a_}: pi_L is a stable equilibrium and 3 solves from random starts reach it",
                    ga.residual(star) < 1e-12 and en.stability(ga, star).stable and dist < 1e-5, f"max distance {dist:.1e}")


def _distinct_marginals_check(p: Proof, nx: int, nz: int, rng) -> None:
    """A labelled joint whose marginals are not the data and the prior: three solves meet at one point."""
    import expfam_nash as en
    from expfam_nash.environment import Finite, FiniteJoint

    base = en.models.tabular(rng.dirichlet(np.ones(nx * nz)).reshape(nx, nz), alpha=0.2)
    lab = FiniteJoint(base.labeled.x_points, base.labeled.z_points, rng.dirichlet(np.ones(nx * nz)).reshape(nx, nz))
    game = en.Game(base.decoder, base.encoder, Finite(base.data.points, rng.dirichlet(np.ones(nx))),
                   Finite(base.prior.points, rng.dirichlet(np.ones(nz))), labelled=lab, alpha=0.2)
    ends = [en.solve(game, seed=s).params for s in range(3)]
    spread = max(np.abs(e.theta - ends[0].theta).max() for e in ends)
    p.check(f"{nx}x{nz} alpha = 0.2, labelled marginals != data, prior: 3 solves reach one point",
            all(game.residual(e) < 1e-10 for e in ends) and spread < 1e-6, f"spread {spread:.1e}")


def run() -> bool:
    return execute(NAME, body)


if __name__ == "__main__":
    main_for(NAME, body)
