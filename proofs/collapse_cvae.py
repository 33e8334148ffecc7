"""The linear CVAE is the linear VAE on the residual second moment E = Cyy - Cyx Cxx^+ Cxy, general in the
dimensions (proofs/collapse_cvae.md)."""
from __future__ import annotations

import numpy as np

from expfam_nash.symbolic.collapse_algebra import T, expectation, mat, trace, trace_equal

from ._collapse import numeric_agreement, random_moment
from ._common import Proof, execute, main_for

NAME = "collapse_cvae"


def step_regression(p: Proof, rng) -> None:
    p.step("1. The residual y~ = y - B x, B = Cyx Cxx^+: E[y~ x'] = 0 and E[y~ y~'] = E is PSD, also for singular Cxx")
    from expfam_nash.collapse.moments import residual_moment

    worst_cross, worst_psd = 0.0, 0.0
    for _ in range(100):
        dx, dy, n = int(rng.integers(1, 6)), int(rng.integers(1, 6)), int(rng.integers(2, 12))
        x = rng.standard_normal((n, dx)) @ rng.standard_normal((dx, dx)) * (rng.uniform(size=dx) > 0.3)  # zero pixels
        x[:, :int(rng.integers(0, dx))] = 0.0
        y = rng.standard_normal((n, dy)) + x @ rng.standard_normal((dx, dy))
        cxx, cxy, cyy = x.T @ x / n, x.T @ y / n, y.T @ y / n
        E, B, _ = residual_moment(cxx, cxy, cyy)
        r = y - x @ B.T
        scale = max(1.0, np.abs(cyy).max())
        worst_cross = max(worst_cross, np.abs(r.T @ x / n).max() / scale)
        worst_psd = max(worst_psd, max(0.0, -np.linalg.eigvalsh(E)[0]) / scale, np.abs(E - r.T @ r / n).max() / scale)
    p.check(f"100 random sample sets with always-zero and collinear x coordinates: |E[y~ x']| <= {worst_cross:.1e} and "
            f"E = E[y~ y~'] PSD to {worst_psd:.1e} (relative to max |Cyy|)", worst_cross <= 1e-10 and worst_psd <= 1e-10)
    p.note("argument: Cxx v = 0 gives E[(v'x)^2] = 0, so v'x = 0 a.s. and Cyx v = 0; hence Cyx Cxx^+ Cxx = Cyx "
           "(Cxx^+ Cxx projects onto range(Cxx)), i.e. E[y~ x'] = Cyx - B Cxx = 0")


def step_decomposition(p: Proof) -> None:
    p.step("2. Decomposition: write W1 = V1 - W2 B and U2 = B - U1 V1 - G (a change of variables, for any B)")
    x, yt, n = mat("x"), mat("y~"), mat("n")
    U1, W2, V1, G, B = mat("U1"), mat("W2"), mat("V1"), mat("G"), mat("B")
    X, E, S = mat("X", True), mat("E", True), mat("S", True)
    mom = {("x", "x"): X, ("y~", "y~"): E, ("n", "n"): S, ("x", "y~"): 0, ("y~", "x"): 0, ("x", "n"): 0,
           ("n", "x"): 0, ("y~", "n"): 0, ("n", "y~"): 0}
    y = yt + B * x
    W1, U2 = V1 - W2 * B, B - U1 * V1 - G
    mean = W1 * x + W2 * y
    r = y - U1 * (mean + n) - U2 * x
    p.check("E|y - U1 z - U2 x|^2 = tr((I - U1 W2) E (I - U1 W2)') + tr(U1 S U1') + tr(G X G')",
            trace_equal(expectation(T(r) * r, mom),
                        trace((1 - U1 * W2) * E * T(1 - U1 * W2)) + trace(U1 * S * T(U1)) + trace(G * X * T(G))))
    p.check("E|W1 x + W2 y|^2 = tr(W2 E W2') + tr(V1 X V1')",
            trace_equal(expectation(T(mean) * mean, mom), trace(W2 * E * T(W2)) + trace(V1 * X * T(V1))))
    p.check("negative control: dropping the cross-moment condition breaks the identity",
            not trace_equal(expectation(T(r) * r, {**mom, ("x", "y~"): mat("Z"), ("y~", "x"): mat("Z").T}),
                            trace((1 - U1 * W2) * E * T(1 - U1 * W2)) + trace(U1 * S * T(U1)) + trace(G * X * T(G))))
    p.note("so L_CVAE(U1, U2, W1, W2, Sigma) = L_VAE[E](U1, W2, Sigma) + tr(G X G') / eta_dec^2 + beta tr(V1 X V1') / eta_enc^2;"
           " the two extra terms are >= 0 and vanish at G = 0, V1 = 0 (U2 = B, W1 = -W2 B on range Cxx), which does "
           "not constrain (U1, W2, Sigma): min L_CVAE = min L_VAE[E], and the CVAE's per-mode minimiser is the VAE's on "
           "the eigenvalues of E (proofs/collapse_vae.md)")


def step_correlation(p: Proof) -> None:
    p.step("3. The synthetic correlation study: y ~ N(0, I), x = rho y + sqrt(1 - rho^2) n  =>  E = (1 - rho^2) I")
    from expfam_nash.collapse.moments import residual_moment

    ok = True
    for rho in (1.0, 0.5, 0.25, 0.125, 0.0):
        d = 4
        cyy, cxy, cxx = np.eye(d), rho * np.eye(d), np.eye(d)
        E, _, _ = residual_moment(cxx, cxy, cyy)
        ok &= np.allclose(E, (1 - rho ** 2) * np.eye(d), atol=1e-14)
    p.check("population moments give E = (1 - rho^2) I for rho in {1, 1/2, 1/4, 1/8, 0}", ok)
    p.note("with beta = 1, eta_dec = 0.5 every mode collapses iff 1 - rho^2 <= 1/4: only rho = 1 among those "
           "(rho >= sqrt(3)/2 in general); the decoder singular values are sqrt(max(0, 1 - rho^2 - 1/4)) / eta_enc")


def step_numeric(p: Proof) -> None:
    p.step("4. Numerical confirmation (objectives + L-BFGS over ALL parameters, singular Cxx included)")
    from expfam_nash.collapse.problem import cvae_problem

    def build(rng):
        dx, dy, d = int(rng.integers(1, 4)), int(rng.integers(1, 4)), int(rng.integers(1, 4))
        C = random_moment(rng, dx + dy, int(rng.integers(1, dx + dy + 1)))
        return cvae_problem(C[:dx, :dx], C[:dx, dx:], C[dx:, dx:], d, rng.uniform(0.3, 2), rng.uniform(0.5, 1.5),
                            rng.uniform(0.3, 1.2))

    numeric_agreement(p, "CVAE", build, cases=6, seed=21)


def body(p: Proof) -> None:
    rng = np.random.default_rng(303)
    step_regression(p, rng)
    step_decomposition(p)
    step_correlation(p)
    step_numeric(p)


def run() -> bool:
    return execute(NAME, body)


if __name__ == "__main__":
    main_for(NAME, body)
