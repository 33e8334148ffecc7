"""Each utility is concave in the player's own parameters (proofs/concavity.md)."""
from __future__ import annotations

import sympy as sp

from expfam_nash.symbolic import families as F
from expfam_nash.symbolic.bernoulli import bernoulli_game

from ._common import Proof, main_for

NAME = "concavity"


def _player(m: int, k: int, ys, A, T, logh=lambda y: 0):
    """U(theta) = sum_r w_r [log h(y_r) + <T(y_r), theta psi_r> - A(theta psi_r)], theta m x k, rows r = 1..k."""
    theta = sp.Matrix(m, k, lambda i, j: sp.Symbol(f"th{i}{j}", real=True))
    w = sp.symbols(f"w1:{k + 1}", positive=True)
    psi = [sp.Matrix(k, 1, lambda i, j: sp.Symbol(f"psi{r}{i}", real=True)) for r in range(k)]
    U, covs = 0, []
    for r in range(k):
        eta = list(theta * psi[r])
        U += w[r] * (logh(ys[r]) + sum(a * e for a, e in zip(T(ys[r]), eta)) - A(eta))
        e_sym = sp.symbols(f"e0:{m}", real=True)
        covs.append(F.covariance_map(A(list(e_sym)), e_sym).subs(dict(zip(e_sym, eta))))
    flat = list(theta)  # row-major
    H = sp.hessian(U, flat)
    formula = -sum((w[r] * sp.kronecker_product(covs[r], psi[r] * psi[r].T) for r in range(k)), sp.zeros(m * k))
    Psi = sp.Matrix.hstack(*psi)
    return H, formula, covs, w, Psi


def body(p: Proof) -> None:
    e1, e2 = sp.symbols("eta1 eta2", real=True)
    p.step("Own Hessian of a lifted player = -sum_r w_r Cov(theta psi_r) (x) psi_r psi_r^T (row-major theta), k = 2 rows")
    cases = {
        "Bernoulli(2)": (2, [(1, 0), (0, 1)], F.bernoulli_A, lambda y: list(y), lambda y: 0),
        "Categorical(3)": (2, [2, 0], F.categorical_A, lambda y: [int(y == 1), int(y == 2)], lambda y: 0),
        "Gaussian fixed (d=2, s)": (2, [sp.symbols("ya0 ya1", real=True), sp.symbols("yb0 yb1", real=True)],
                                    lambda eta: F.gaussian_fixed_A(eta, sp.Symbol("s", positive=True)),
                                    lambda y: [a / sp.Symbol("s", positive=True) for a in y], lambda y: 0),
        "Gaussian learned (d=1)": (2, [sp.Symbol("ya", real=True), sp.Symbol("yb", real=True)], F.gaussian_learned_A,
                                   lambda y: [y, y ** 2], lambda y: 0),
    }
    for name, (m, ys, A, T, logh) in cases.items():
        H, formula, covs, w, Psi = _player(m, 2, ys, A, T, logh)
        p.zero(f"{name}: Hessian - (-sum w Cov (x) psi psi^T)", H - formula, simplify=lambda e: sp.simplify(sp.expand(e)))

    p.step("Cov = Hessian of A is positive semi-definite (each family)")
    cov_b = F.covariance_map(F.bernoulli_A([e1, e2]), [e1, e2])
    p.zero("Bernoulli: Cov - diag(sigma(1 - sigma))", cov_b - sp.diag(*[sp.exp(e) / (1 + sp.exp(e)) ** 2 for e in (e1, e2)]))
    p.note("diagonal with entries e^eta / (1 + e^eta)^2 > 0: positive definite")
    cov_c = F.covariance_map(F.categorical_A([e1, e2]), [e1, e2])
    mu = F.mean_map(F.categorical_A([e1, e2]), [e1, e2])
    p.zero("Categorical: Cov - (diag(mu) - mu mu^T)", cov_c - (sp.diag(*mu) - mu * mu.T))
    v1, v2 = sp.symbols("v1 v2", real=True)
    pr = [1 - mu[0] - mu[1], mu[0], mu[1]]
    vv, vbar = [0, v1, v2], mu[0] * v1 + mu[1] * v2
    quad = (sp.Matrix([[v1, v2]]) * cov_c * sp.Matrix([v1, v2]))[0]
    p.zero("Categorical: v^T Cov v - sum_c p_c (v_c - vbar)^2 (v_0 = 0), a variance >= 0",
           quad - sum(pc * (vc - vbar) ** 2 for pc, vc in zip(pr, vv)))
    p.note("equality only if v_c = vbar for all c, i.e. v = 0 (since v_0 = 0 and p_c > 0): positive definite")
    s = sp.Symbol("s", positive=True)
    p.zero("Gaussian fixed: Cov - I/s", F.covariance_map(F.gaussian_fixed_A([e1, e2], s), [e1, e2]) - sp.eye(2) / s)
    b = sp.Symbol("beta", negative=True)
    cov_g = F.covariance_map(F.gaussian_learned_A([e1, b]), [e1, b])
    m_, v_ = -e1 / (2 * b), -1 / (2 * b)
    p.zero("Gaussian learned: Cov - [[v, 2 m v], [2 m v, 4 m^2 v + 2 v^2]]",
           cov_g - sp.Matrix([[v_, 2 * m_ * v_], [2 * m_ * v_, 4 * m_ ** 2 * v_ + 2 * v_ ** 2]]))
    p.zero("Gaussian learned: det Cov - 2 v^3", cov_g.det() - 2 * v_ ** 3)
    p.zero("Gaussian learned: trace Cov - (v (1 + 4 m^2) + 2 v^2)", cov_g.trace() - (v_ * (1 + 4 * m_ ** 2) + 2 * v_ ** 2))
    p.check("Gaussian learned: v = -1/(2 beta) > 0, so trace > 0 and det > 0: positive definite", v_.is_positive)

    p.step("Strictness: det(sum_r w_r C_r (x) psi_r psi_r^T) = det(Psi)^(2m) w1^m w2^m det C1 det C2 (Psi = [psi_1 psi_2])")
    for m in (1, 2):
        C = [sp.Matrix(m, m, lambda i, j, r=r: sp.Symbol(f"c{r}{min(i, j)}{max(i, j)}", real=True)) for r in range(2)]
        w = sp.symbols("w1 w2", positive=True)
        psi = [sp.Matrix(2, 1, lambda i, j, r=r: sp.Symbol(f"psi{r}{i}", real=True)) for r in range(2)]
        Hm = sum((w[r] * sp.kronecker_product(C[r], psi[r] * psi[r].T) for r in range(2)), sp.zeros(2 * m))
        Psi = sp.Matrix.hstack(*psi)
        p.zero(f"m = {m}, generic symmetric C_r: det - det(Psi)^{2 * m} w1^{m} w2^{m} det C1 det C2",
               sp.expand(Hm.det() - Psi.det() ** (2 * m) * w[0] ** m * w[1] ** m * C[0].det() * C[1].det()),
               simplify=sp.expand)
    p.note("so -H is positive definite iff the weighted features span R^k (det Psi != 0); a feature direction a "
           "orthogonal to every weighted psi_r gives the null vector e_i a^T")

    p.step("The game's own Hessian has this form with the sampling weights m_p(x, z) (Bernoulli pair d = k = 1)")
    w0 = sp.Symbol("w0", positive=True)
    g = bernoulli_game([[0], [1]], [w0, 1 - w0], latent_dim=1, rho=sp.Symbol("rho", nonnegative=True))
    H_p, _ = g.own_hessians
    th, ph = g.theta, g.phi
    form = sp.zeros(2)
    for x, wx in ((0, w0), (1, 1 - w0)):
        e = ph[0, 0] * x + ph[0, 1]
        for z in (0, 1):
            q = sp.exp(z * e) / (1 + sp.exp(e))
            eta = th[0, 0] * z + th[0, 1]
            psi = sp.Matrix([z, 1])
            form -= wx * q * sp.exp(eta) / (1 + sp.exp(eta)) ** 2 * psi * psi.T
    form -= sp.diag(sp.Symbol("rho", nonnegative=True), 0)
    p.zero("H_p - (-sum pi(x) q(z|x) Cov psi psi^T - rho P)", H_p - form)
    p.note("the weights m_p do not depend on theta, so H_p is a non-negative combination of NSD matrices")


def run() -> bool:
    from ._common import execute
    return execute(NAME, body)


if __name__ == "__main__":
    main_for(NAME, body)
