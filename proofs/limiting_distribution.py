"""Equal joints make pi(x) stationary for the reconstruction chain (proofs/limiting_distribution.md)."""
from __future__ import annotations

import numpy as np
import sympy as sp

from expfam_nash.symbolic.lg_equilibria import LAM, S, T, branch_expressions

from ._common import Proof, execute, main_for

NAME = "limiting_distribution"


def body(p: Proof) -> None:
    p.step("Tabular 3 x 2, symbolic joint C = pi(x) q(z|x) = pi(z) p(x|z)")
    C = sp.Matrix(3, 2, sp.symbols("C0:6", positive=True))
    pix = [sum(C[i, :]) for i in range(3)]
    piz = [sum(C[:, j]) for j in range(2)]
    q = sp.Matrix(3, 2, lambda i, j: C[i, j] / pix[i])     # q(z|x)
    pp = sp.Matrix(3, 2, lambda i, j: C[i, j] / piz[j])    # p(x|z)
    p.zero("pi(x) q(z|x) - pi(z) p(x|z)", sp.Matrix(3, 2, lambda i, j: pix[i] * q[i, j] - piz[j] * pp[i, j]))
    K = q * pp.T                                            # K[x, x'] = sum_z q(z|x) p(x'|z)
    p.zero("rows of K sum to 1", K * sp.ones(3, 1) - sp.ones(3, 1))
    p.zero("pi K - pi (stationarity)", sp.Matrix([pix]) * K - sp.Matrix([pix]))
    p.zero("pi(x) K(x'|x) - pi(x') K(x|x') (detailed balance: the chain is reversible)",
           sp.Matrix(3, 3, lambda i, k: pix[i] * K[i, k] - pix[k] * K[k, i]))
    p.note("general X, Z: sum_x pi(x) sum_z q(z|x) p(x'|z) = sum_z [sum_x C(x, z)] p(x'|z) = sum_z pi(z) p(x'|z)"
           " = sum_z C(x', z) = pi(x'); the same lines with integrals")

    p.step("Tabular alpha = 0 equilibria (couplings): the engine's kernel has pi(x) as stationary law")
    from expfam_nash import models
    from expfam_nash.symbolic.tabular import coupling_parameters
    rng = np.random.default_rng(1)
    P = rng.dirichlet(np.ones(12)).reshape(4, 3)
    game = models.tabular(P)
    px, pz = P.sum(1), P.sum(0)
    E = rng.normal(size=(4, 3))
    E -= E.mean(0)
    E -= E.mean(1, keepdims=True)
    Cn = np.outer(px, pz) + 0.9 * E * np.outer(px, pz).min() / np.abs(E).max()
    prm = game.params(*coupling_parameters(Cn))
    inv = game.invariants(prm)
    err = np.abs(px @ inv["kernel"] - px).max()
    p.check("residual of the coupling < 1e-12", game.residual(prm) < 1e-12, f"{game.residual(prm):.1e}")
    p.check("|pi K - pi| < 1e-12 and decoder marginal = pi(x)", err < 1e-12 and np.allclose(inv["decoder_marginal"], px, atol=1e-12),
            f"{err:.1e}")

    p.step("Linear-Gaussian, one direction: chain x' = g x + noise, g = w v, noise variance w^2 t + s")
    w2 = sp.Symbol("w2", positive=True)
    for mode, label in (((True, False), "decoder learned"), ((False, True), "encoder learned"), ((True, True), "both learned")):
        br = branch_expressions(*mode)["nontrivial"]
        wsq, s, t = br["w"] ** 2, br["s"], br["t"]
        v = br["v"]
        p.zero(f"{label}: encoder-side Var z - 1 (v^2 lam + t - 1)", v ** 2 * LAM + t - 1)
        p.zero(f"{label}: Cov(x, z) under both joints agree (v lam - w)", v * LAM - br["w"])
        p.zero(f"{label}: model-side Var x - lam (w^2 + s - lam)", wsq + s - LAM)
        g = br["w"] * v
        p.zero(f"{label}: stationary variance (w^2 t + s)/(1 - g^2) - lam", (wsq * t + s) / (1 - g ** 2) - LAM)
    # fixed variances: lam = t (w^2 + s)^2 / s parametrises the nontrivial branch by w^2
    lam_w = T * (w2 + S) ** 2 / S
    v = sp.sqrt(w2) / (w2 + S)
    g = w2 / (w2 + S)
    Vinf = sp.simplify((w2 * T + S) / (1 - g ** 2))
    ratio = sp.factor(sp.simplify(Vinf / lam_w))
    p.note(f"fixed (s, t), nontrivial: Var z under the encoder = {sp.simplify((v ** 2 * lam_w + T))}"
           " (= 1 iff w^2 + s = s / t)")
    p.note(f"fixed (s, t), nontrivial: stationary variance / lam = {ratio}")
    p.zero("fixed: ratio - 1 where the joints agree (w^2 + s = s / t)",
           ratio.subs(w2, S / T - S) - 1)
    p.note("collapsed fixed point: K(x'|x) = N(0, s): stationary variance s, equal to lam only if s = lam")


def run() -> bool:
    return execute(NAME, body)


if __name__ == "__main__":
    main_for(NAME, body)
