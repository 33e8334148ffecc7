"""The collapsed point of Bernoulli pairs with affine lifts (proofs/collapsed_affine.md)."""
from __future__ import annotations

import numpy as np
import sympy as sp

from expfam_nash.symbolic.bernoulli import bernoulli_game, binary_points

from ._common import Proof, execute, main_for

NAME = "collapsed_affine"


def _setup(d: int, k: int):
    """Symbolic data weights on {0,1}^d, prior weights on {0,1}^k (last = 1 - the others), rho."""
    X, Z = binary_points(d), binary_points(k)
    wx = list(sp.symbols(f"w0:{len(X) - 1}", positive=True))
    wx.append(1 - sum(wx))
    wz = list(sp.symbols(f"r0:{len(Z) - 1}", positive=True))
    wz.append(1 - sum(wz))
    rho = sp.Symbol("rho", nonnegative=True)
    g = bernoulli_game(X, wx, k, wz, 0, None, rho)
    xbar = [sum(w * x[a] for w, x in zip(wx, X)) for a in range(d)]
    zbar = [sum(w * z[b] for w, z in zip(wz, Z)) for b in range(k)]
    cov = lambda pts, w, m: sp.Matrix(len(m), len(m), lambda a, b: sum(wi * (x[a] - m[a]) * (x[b] - m[b]) for wi, x in zip(w, pts)))
    sub = {g.theta[a, c]: 0 for a in range(d) for c in range(k)}
    sub.update({g.phi[b, e]: 0 for b in range(k) for e in range(d)})
    sub.update({g.theta[a, k]: sp.log(xbar[a] / (1 - xbar[a])) for a in range(d)})
    sub.update({g.phi[b, d]: sp.log(zbar[b] / (1 - zbar[b])) for b in range(k)})
    return g, sub, xbar, zbar, cov(X, wx, xbar), cov(Z, wz, zbar), rho


def _second(mean):
    M = sp.Matrix(len(mean) + 1, len(mean) + 1, lambda i, j: (list(mean) + [1])[i] * (list(mean) + [1])[j])
    for i, m in enumerate(mean):
        M[i, i] = m
    return M


def _formula(d, k, xbar, zbar, Sx, Sz, rho):
    Dx, Dz = [m * (1 - m) for m in xbar], [m * (1 - m) for m in zbar]
    Pp = sp.diag(*[1 if c < k else 0 for a in range(d) for c in range(k + 1)])
    Pq = sp.diag(*[1 if e < d else 0 for b in range(k) for e in range(d + 1)])
    Jpp = -sp.kronecker_product(sp.diag(*Dx), _second(zbar)) - rho * Pp
    Jqq = -sp.kronecker_product(sp.diag(*Dz), _second(xbar)) - rho * Pq
    Jpq, Jqp = sp.zeros(d * (k + 1), k * (d + 1)), sp.zeros(k * (d + 1), d * (k + 1))
    for a in range(d):
        for c in range(k):
            for e in range(d):
                Jpq[a * (k + 1) + c, c * (d + 1) + e] = Sx[a, e] * Dz[c]
            for b in range(k):
                Jqp[b * (d + 1) + a, a * (k + 1) + c] = Sz[b, c] * Dx[a]
    return sp.BlockMatrix([[Jpp, Jpq], [Jqp, Jqq]]).as_explicit(), Dx, Dz


def body(p: Proof) -> None:
    simp = lambda e: sp.factor(sp.cancel(sp.together(e)))
    p.step("alpha = 0: the collapsed point is an equilibrium for every data set, prior and rho (symbolic weights)")
    for d, k in ((2, 1), (1, 2), (2, 2)):
        g, sub, *_ = _setup(d, k)
        p.zero(f"d = {d}, k = {k}: pseudo-gradient at the collapsed point", g.gradient.subs(sub), simplify=simp)
    p.note("general d, k: grad_theta = E_pi(x)[x - xbar] E_q0[psi]^T = 0, grad_phi = E_pi(z)[z - zbar] E_p0[chi]^T = 0")

    p.step("The Jacobian there equals the closed form (expfam_nash.symbolic.collapsed), symbolic weights")
    for d, k in ((2, 1), (1, 2)):
        g, sub, xbar, zbar, Sx, Sz, rho = _setup(d, k)
        J = g.jacobian.subs(sub)
        F, Dx, Dz = _formula(d, k, xbar, zbar, Sx, Sz, rho)
        p.zero(f"d = {d}, k = {k}: J - closed form", J - F, simplify=simp)

    p.step("Eliminating the biases at mu = 0 (Schur complement) leaves the centred weight block J_w")
    d, k = 2, 2
    xb, zb = sp.symbols("xb0 xb1", positive=True), sp.symbols("zb0 zb1", positive=True)
    s = sp.symbols("sx00 sx01 sx11 sz00 sz01 sz11", real=True)
    Sx = sp.Matrix([[s[0], s[1]], [s[1], s[2]]])
    Sz = sp.Matrix([[s[3], s[4]], [s[4], s[5]]])
    rho = sp.Symbol("rho", nonnegative=True)
    F, Dx, Dz = _formula(d, k, xb, zb, Sx, Sz, rho)
    w_idx = [a * (k + 1) + c for a in range(d) for c in range(k)]
    n_t = d * (k + 1)
    u_idx = [n_t + b * (d + 1) + e for e in range(d) for b in range(k)]     # U = V^T, row-major (e, b)
    b_idx = [a * (k + 1) + k for a in range(d)] + [n_t + b * (d + 1) + d for b in range(k)]
    W = w_idx + u_idx
    schur = F.extract(W, W) - F.extract(W, b_idx) * F.extract(b_idx, b_idx).inv() * F.extract(b_idx, W)
    DX, DZ = sp.diag(*Dx), sp.diag(*Dz)
    Jw = sp.BlockMatrix([[-sp.kronecker_product(DX, DZ) - rho * sp.eye(d * k), sp.kronecker_product(Sx, DZ)],
                         [sp.kronecker_product(DX, Sz.T), -sp.kronecker_product(DX, DZ) - rho * sp.eye(d * k)]]).as_explicit()
    p.zero("d = k = 2: J_ww - J_wb J_bb^-1 J_bw - J_w", schur - Jw, simplify=simp)
    p.note("det J = det(J_bb) det(J_w) (Schur) and J_bb = -diag(Dx, Dz) is invertible: J is singular iff J_w is; rho shifts J_w by -rho I, "
           "so rho* = max(0, max Re spec J_w(rho = 0))")

    p.step("Product prior, equal data variances sigma^2: spec J_w = Dz_c sigma^2 (+-sqrt(r_i) - 1) - rho")
    sig, r, kap = sp.Symbol("sigma", positive=True), sp.Symbol("r", real=True), sp.Symbol("kappa")
    R = sp.Matrix([[1, r], [r, 1]])
    K = sp.BlockMatrix([[-sig ** 2 * sp.eye(2), sig ** 2 * R], [sig ** 2 * sp.eye(2), -sig ** 2 * sp.eye(2)]]).as_explicit()
    cp = K.charpoly(kap).as_expr()
    roots = [sig ** 2 * (e * sp.sqrt(ri) - 1) for ri in (1 + r, 1 - r) for e in (1, -1)]
    p.zero("charpoly of K = [[-D, Sigma], [D, -D]] vanishes at sigma^2 (+-sqrt(1 +- r) - 1)",
           sp.Matrix([cp.subs(kap, x0) for x0 in roots]), simplify=lambda e: sp.expand(sp.simplify(e)))
    p.note("per latent column c the block is Dz_c K - rho I; so rho* = max_c Dz_c sigma (sqrt(lambda_max Sigma_x) - sigma) "
           "(uniform prior: Dz_c = 1/4); at rho = 0 trace R = d forces r_max >= 1: never strictly stable")

    p.step("Numeric: closed-form J, centred-block stability and rho* against the engine (random instances)")
    from expfam_nash import stability
    from expfam_nash.environment import Finite
    from expfam_nash.families import Affine, Bernoulli, binary_support
    from expfam_nash.game import Game, Params, Player
    from expfam_nash.symbolic.collapsed import (collapse_rho_threshold, collapsed_jacobian, collapsed_point,
                                                collapsed_stable, equal_variance_threshold)
    rng = np.random.default_rng(7)
    n, bad, jerr, amin, ferr = 0, 0, 0.0, np.inf, 0.0
    for trial in range(60):
        d, k = int(rng.integers(1, 4)), int(rng.integers(1, 3))
        X, Z = binary_support(d), binary_support(k)
        wx = rng.dirichlet(np.ones(2 ** d))
        uniform = trial % 2 == 0
        if uniform:
            wx = (wx + wx[::-1]) / 2            # symmetric data: all coordinate means 1/2
        wz = np.full(2 ** k, 2.0 ** -k) if uniform else rng.dirichlet(np.ones(2 ** k))
        r0 = collapse_rho_threshold(X, wx, Z, wz)
        amin = min(amin, r0 if r0 > 0 else 0.0)
        if uniform:
            xm = wx @ X
            Sx = (X - xm).T @ ((X - xm) * wx[:, None])
            ferr = max(ferr, abs(equal_variance_threshold(Sx, np.full(k, 0.25)) - r0))
        for rho in (0.0, 0.9 * r0, 1.1 * r0 + 1e-4, 0.5):
            game = Game(Player(Bernoulli(d), Affine(k)), Player(Bernoulli(k), Affine(d)), Finite(X, wx), Finite(Z, wz), rho=rho)
            prm = Params(*collapsed_point(X, wx, Z, wz))
            jerr = max(jerr, np.abs(collapsed_jacobian(X, wx, Z, wz, rho) - game.jacobian(prm)).max())
            n += 1
            if game.residual(prm) > 1e-13 or stability(game, prm).stable != collapsed_stable(X, wx, Z, wz, rho):
                bad += 1
    p.check(f"{n} (instance, rho) pairs: residual 0 and engine stability == centred-block prediction", bad == 0, f"{bad} mismatches")
    p.check("closed-form Jacobian == engine Jacobian", jerr < 1e-12, f"max |diff| {jerr:.1e}")
    p.check("uniform prior, symmetric data: rho* == (1/4) sigma (sqrt(lambda_max) - sigma)", ferr < 1e-12, f"{ferr:.1e}")
    vals = []
    for _ in range(400):
        d, k = int(rng.integers(1, 5)), int(rng.integers(1, 4))
        X, Z = binary_support(d), binary_support(k)
        wx, wz = rng.dirichlet(np.ones(2 ** d) * rng.choice([0.3, 1, 4])), rng.dirichlet(np.ones(2 ** k) * rng.choice([0.3, 1, 4]))
        from expfam_nash.symbolic.collapsed import centred_weight_jacobian
        xm, zm = wx @ X, wz @ Z
        Sx, Sz = (X - xm).T @ ((X - xm) * wx[:, None]), (Z - zm).T @ ((Z - zm) * wz[:, None])
        vals.append(np.linalg.eigvals(centred_weight_jacobian(Sx, Sz, xm, zm)).real.max())
    p.check("400 random instances (any prior): max Re spec J_w(rho = 0) >= 0 (never strictly stable at rho = 0)",
            min(vals) > -1e-12, f"min {min(vals):.1e}")


def run() -> bool:
    return execute(NAME, body)


if __name__ == "__main__":
    main_for(NAME, body)
