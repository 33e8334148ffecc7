"""The expected minibatch update equals the exact pseudo-gradient (proofs/stochastic_unbiased.md)."""
from __future__ import annotations

import numpy as np
import sympy as sp

from expfam_nash.symbolic import families as F
from expfam_nash.symbolic.linear_gaussian import expect_quadratic, linear_gaussian_game
from expfam_nash.symbolic.tabular import tabular_game

from ._common import Proof, execute, main_for

NAME = "stochastic_unbiased"


def body(p: Proof) -> None:
    p.step("Per-sample gradient: d/dtheta log p_theta(y|u) = (T(y) - grad A(theta psi(u))) psi(u)^T")
    w, b, u, y = sp.symbols("w b u y", real=True)
    eta = w * u + b
    for name, logpdf, T, A in (("Bernoulli", F.bernoulli_logpdf([y], [eta]), y, F.bernoulli_A([eta])),
                               ("Gaussian fixed", F.gaussian_fixed_logpdf([y], [eta], sp.Symbol("s", positive=True)),
                                y / sp.Symbol("s", positive=True), F.gaussian_fixed_A([eta], sp.Symbol("s", positive=True)))):
        e = sp.Symbol("e", real=True)
        mu = sp.diff(A.subs(eta, e), e).subs(e, eta)
        p.zero(f"{name}: d log p / d(w, b) - (T - mu) (u, 1)",
               sp.Matrix([sp.diff(logpdf, w), sp.diff(logpdf, b)]) - (T - mu) * sp.Matrix([u, 1]))

    p.step("Tabular 2 x 2, symbolic joint, alpha, rho: sum over the sampling measure of the per-sample gradient")
    P = sp.Matrix(2, 2, sp.symbols("P00 P01 P10 P11", positive=True))
    alpha, rho = sp.Symbol("alpha", nonnegative=True), sp.Symbol("rho", nonnegative=True)
    g = tabular_game(P, alpha, rho)
    th, ph = g.theta, g.phi
    pix, piz = [P[i, 0] + P[i, 1] for i in range(2)], [P[0, j] + P[1, j] for j in range(2)]
    prob = lambda col, cls: sp.exp(col[cls - 1] if cls else 0) / (1 + sp.exp(col[0]))  # Categorical(2)
    Ep, Eq = sp.zeros(1, 2), sp.zeros(1, 2)
    for i in range(2):
        for j in range(2):
            q_ij, p_ij = prob(ph[:, i], j), prob(th[:, j], i)
            # decoder per-sample gradient at (x_i, z_j): (T(x_i) - mu_p(z_j)) e_j^T ; encoder mirror
            gp = sp.zeros(1, 2)
            gp[0, j] = int(i == 1) - prob(th[:, j], 1)
            gq = sp.zeros(1, 2)
            gq[0, i] = int(j == 1) - prob(ph[:, i], 1)
            Ep += ((1 - alpha) * pix[i] * q_ij + alpha * P[i, j]) * gp
            Eq += ((1 - alpha) * piz[j] * p_ij + alpha * P[i, j]) * gq
    Ep -= rho * th
    Eq -= rho * ph
    n = len(g.theta_symbols)
    p.zero("E[minibatch decoder update] - dL_p/dtheta", Ep.T - g.gradient[:n, 0])
    p.zero("E[minibatch encoder update] - dL_q/dphi", Eq.T - g.gradient[n:, 0])

    p.step("Linear-Gaussian d = k = 1, fixed variances, symbolic moments: E[per-sample gradient] = gradient")
    m, lam, s, t = sp.Symbol("m", real=True), *sp.symbols("lam s t", positive=True)
    lg = linear_gaussian_game(1, 1, s, t, [m], [[lam]])
    (w_, b_), (v_, c_) = list(lg.theta), list(lg.phi)
    x, ez, z, ex = sp.symbols("x ez z ex", real=True)
    zq = v_ * x + c_ + ez          # z ~ q(z|x)
    gp = sp.Matrix([(x - (w_ * zq + b_)) / s * zq, (x - (w_ * zq + b_)) / s])
    Egp = gp.applyfunc(lambda e: expect_quadratic(sp.expand(e), [x, ez], [m, 0], sp.diag(lam + m ** 2, t)))
    xp = w_ * z + b_ + ex          # x ~ p(x|z), z ~ N(0, 1)
    gq = sp.Matrix([(z - (v_ * xp + c_)) / t * xp, (z - (v_ * xp + c_)) / t])
    Egq = gq.applyfunc(lambda e: expect_quadratic(sp.expand(e), [z, ex], [0, 0], sp.diag(1, s)))
    p.zero("E over (x, z ~ q) of the decoder's per-sample gradient - dL_p/dtheta", Egp - lg.gradient[:2, 0])
    p.zero("E over (z, x ~ p) of the encoder's per-sample gradient - dL_q/dphi", Egq - lg.gradient[2:, 0])

    p.step("The engine's per-sample gradients (game.sampled.player_samples), weighted by the exact sampling "
           "probabilities, reproduce the exact pseudo-gradient (tabular 3 x 2, alpha = 0.3, rho = 0.2)")
    from expfam_nash import models
    from expfam_nash.game.sampled import player_samples
    game = models.tabular("random:3:2:4", alpha=0.3, rho=0.2)
    rng = np.random.default_rng(0)
    prm = game.unflatten(rng.normal(size=game.layout.size))
    eng = game.engine
    qtab = eng.encoder_table(prm.phi, np.arange(3))          # q(z|x), rows x
    ptab = eng.decoder_table(prm.theta)                       # p(x|z)
    L = game.labelled.table
    px, pz = L.sum(1), L.sum(0)
    a = game.alpha
    gp_ex, gq_ex = np.zeros_like(prm.theta), np.zeros_like(prm.phi)
    for i in range(3):
        for j in range(2):
            xi, zj = np.array([[float(i)]]), np.array([[float(j)]])
            sp_ = player_samples(game.decoder, prm.theta, xi, game.decoder.lift(zj)).grad_mean
            sq_ = player_samples(game.encoder, prm.phi, zj, game.encoder.lift(xi)).grad_mean
            gp_ex += ((1 - a) * px[i] * qtab[i, j] + a * L[i, j]) * sp_
            gq_ex += ((1 - a) * pz[j] * ptab[i, j] + a * L[i, j]) * sq_
    gp_ex -= game.rho * prm.theta * game.decoder.penalty_mask
    gq_ex -= game.rho * prm.phi * game.encoder.penalty_mask
    exact = game.gradient(prm)
    err = max(np.abs(gp_ex - exact.theta).max(), np.abs(gq_ex - exact.phi).max())
    p.check("max |E[sampled update] - exact gradient| < 1e-12", err < 1e-12, f"{err:.2e}")


def run() -> bool:
    return execute(NAME, body)


if __name__ == "__main__":
    main_for(NAME, body)
