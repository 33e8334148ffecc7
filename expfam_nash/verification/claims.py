"""The claims register: every claim of THEORY.md section 4 with a verdict and its evidence.

A claim is split into findings, each an exact condition with one verdict:

* ``proved symbolically``: a script in ``proofs/`` (``expfam-nash prove NAME``) checks it with sympy;
* ``proved (argued)``: a short argument stated here, whose every computable step is tested;
* ``verified on N generated instances``: a property test (hypothesis) asserts it on generated games;
* ``refuted by counterexample``: a reproducible command and a regression test that keeps it refuted;
* ``open``: neither proved nor refuted.

Evidence items are ``proof:NAME``, ``test:FILE::FUNCTION`` or ``cmd:COMMAND``; the test suite
checks that every proof and test named here exists and that every counterexample reproduces.
"""
from __future__ import annotations

import textwrap
from dataclasses import dataclass

#: hypothesis examples per property test in the CI profile and in the thorough profile
CI_EXAMPLES = 25
THOROUGH_EXAMPLES = 500

VERDICTS = ("proved symbolically", "proved (argued)", "verified on generated instances",
            "refuted by counterexample", "open")

T = "test:tests/test_claims.py::"
N = f"{CI_EXAMPLES} per CI run, {THOROUGH_EXAMPLES} with EXPFAM_NASH_PROFILE=thorough"


@dataclass(frozen=True)
class Finding:
    condition: str
    verdict: str
    evidence: tuple[str, ...]
    detail: str = ""

    def __post_init__(self):
        if self.verdict not in VERDICTS:
            raise ValueError(f"verdict: expected one of {VERDICTS}, got {self.verdict!r}")

    def summary(self) -> str:
        return f"[{self.verdict}] {self.condition}"

    def to_dict(self) -> dict:
        return {"condition": self.condition, "verdict": self.verdict, "evidence": list(self.evidence),
                "detail": self.detail}


@dataclass(frozen=True)
class Claim:
    number: int
    title: str
    statement: str
    findings: tuple[Finding, ...]

    @property
    def verdict(self) -> str:
        kinds = {f.verdict for f in self.findings}
        if "refuted by counterexample" in kinds:
            held = kinds - {"refuted by counterexample", "open"}
            return "refuted as stated; holds under stated conditions" if held else "refuted"
        if kinds == {"open"}:
            return "open"
        return "holds under stated conditions" if "open" not in kinds else "partly open"

    def summary(self) -> str:
        return f"{self.number}. {self.title}: {self.verdict} ({len(self.findings)} findings)"

    def to_dict(self) -> dict:
        return {"claim": self.number, "title": self.title, "statement": self.statement, "verdict": self.verdict,
                "findings": [f.to_dict() for f in self.findings]}


REGISTER: tuple[Claim, ...] = (
    Claim(1, "own-concavity", "Each utility is concave in the player's own parameters; strictly under stated conditions.", (
        Finding("every lifted pair (Bernoulli, categorical, Gaussian with fixed or learned variance; any lift, alpha, rho)",
                "proved symbolically", ("proof:concavity", T + "test_claim1_own_hessians_are_negative_semidefinite"),
                "own Hessian = -sum_r w_r Cov_r (x) psi_r psi_r^T - rho P with Cov_r the Hessian of the log-partition"),
        Finding("strict iff, for every row of theta, the features psi_r of the positively weighted pairs have full "
                "column rank on the free unpenalised columns (finite families, whose Cov_r is positive definite)",
                "verified on generated instances", (T + "test_claim1_strictness_is_the_feature_rank_condition",),
                f"{N}; for the decoder the weighted pairs are all (data x, z), for the encoder all (x, z with pi(z) > 0)"),
    )),
    Claim(2, "best responses", "Best responses exist and are unique under stated conditions, and Newton finds them.", (
        Finding("finite families: a best response exists iff no recession direction exists (an LP: each observed "
                "statistic maximises <T(y), D psi_r>); unique when the utility is strictly concave (claim 1)",
                "proved (argued)", ("test:tests/test_game_exact.py::test_best_response_reports_unattained_supremum",
                                    T + "test_claim2_recession_certificate_decides_attainment"),
                "the slope of U along D tends to sum_r w_r [<T_r, D psi_r> - max_y <T(y), D psi_r>] <= 0; a certified D "
                "makes U increase towards its supremum; otherwise the concave log-likelihood is coercive on the "
                "complement of its flat directions"),
        Finding("Newton (damped, Armijo) reaches the maximiser whenever it exists",
                "verified on generated instances", ("test:tests/test_game_exact.py::test_newton_best_response_matches_generic_optimiser",),
                f"{N}; compared with BFGS to 1e-6 in value and |grad| <= 1e-8"),
        Finding("data with a constant coordinate (any rho: the bias is not penalised)", "refuted by counterexample",
                ("cmd:expfam-nash solve bernoulli --data independent:0.3,1.0 --latent-dim 1 --rho 0.5",
                 T + "test_counterexample_constant_pixel_has_no_finite_equilibrium"),
                "the decoder's bias for the constant bit escapes to +infinity: no best response exists"),
    )),
    Claim(3, "existence", "A finite equilibrium exists when rho > 0. Without regularisation it may not; find out when.", (
        Finding("rho > 0 penalising every coordinate (lifts without a bias column, e.g. one-hot tabular pairs)",
                "proved (argued)", (T + "test_claim3_penalised_tabular_games_have_a_finite_equilibrium",),
                "strong concavity bounds every best response by diam(T) max|psi| / rho; the best-response map is "
                f"continuous on that compact ball, so Brouwer gives an equilibrium; solve reaches it on {N}"),
        Finding("rho > 0 with an unpenalised bias column and data with a constant coordinate",
                "refuted by counterexample",
                ("cmd:expfam-nash verify bernoulli --data independent:0.3,1.0 --latent-dim 1 --rho 0.5",
                 T + "test_counterexample_constant_pixel_has_no_finite_equilibrium"),
                "certified: a recession direction of the decoder holds for every encoder, so no finite equilibrium exists"),
        Finding("rho >= 0, affine lifts, data and prior marginals strictly inside (0, 1): the collapsed point "
                "(weights 0, biases at the marginals) is always an equilibrium",
                "proved symbolically", ("proof:collapsed_affine", T + "test_claim3_collapsed_point_is_an_equilibrium"),
                "so a finite equilibrium exists without regularisation; it may be unstable (claim 5)"),
        Finding("rho = 0 in general (lifts and data beyond the cases above)", "open", (),
                "no certificate of existence or non-existence is known to the toolkit"),
    )),
    Claim(4, "Rosen certificates", "Diagonal strict concavity on a region gives a unique equilibrium there and a "
                                   "convergent gradient flow; compute such certificates.", (
        Finding("finite pairs, every coordinate penalised, rho > rho* = (1-alpha) diam(T) diam(S) max|psi| max|chi|",
                "proved (argued)", (T + "test_claim4_rosen_level_makes_the_game_diagonally_strictly_concave",),
                "the off-diagonal blocks are averages of outer products of vectors bounded by diam(T) max|psi| and "
                "diam(S) max|chi|, the own blocks are <= -rho I; hence J + J^T < 0 everywhere (Rosen 1965, "
                f"Theorems 2 and 9); checked at random points and by verify on {N}"),
        Finding("at a point: sym(diag(r) J) < 0 transversally to the symmetry orbit, weights r optimised",
                "verified on generated instances", (T + "test_claim4_point_certificate_implies_stability",),
                "a point certificate implies local asymptotic stability of the r-weighted flow; checked against "
                "the spectrum"),
        Finding("lifts with an unpenalised bias column", "open", (),
                "no uniform curvature bound in the bias directions; only point certificates are computed"),
    )),
    Claim(5, "headline: unique and stable", "Lifted exponential-family pairs have a unique and stable equilibrium.", (
        Finding("linear-Gaussian pair, one direction: every nontrivial branch is stable where it exists (fixed: "
                "lam > s t; decoder variance learned: t < 1; encoder variance learned: lam > s, the PPCA solution); "
                "the collapsed point is stable exactly below these thresholds", "proved symbolically",
                ("proof:linear_gaussian",
                 "test:tests/test_symbolic.py::test_linear_gaussian_branches_are_engine_equilibria_with_the_same_stability",
                 "test:tests/test_verify.py::test_verify_matches_the_symbolic_branches"),
                "Routh-Hurwitz on the full Jacobian in the engine's natural coordinates, biases included"),
        Finding("linear-Gaussian pair with fixed variances and lam_1 > s t", "refuted by counterexample",
                ("cmd:expfam-nash verify linear-gaussian --eigenvalues 3,1 --latent-dim 1 --decoder-var 0.5 --encoder-var 0.8",
                 "proof:linear_gaussian", T + "test_counterexample_linear_gaussian_has_a_collapsed_saddle"),
                "the collapsed point is an equilibrium and a saddle beside the stable branch w^2 = sqrt(s lam / t) - s"),
        Finding("linear-Gaussian pair with both variances learned", "refuted by counterexample",
                ("cmd:expfam-nash verify linear-gaussian --eigenvalues 3 --latent-dim 1 --decoder-var learned --encoder-var learned",
                 "proof:linear_gaussian", T + "test_counterexample_fully_learned_linear_gaussian_is_a_continuum"),
                "a continuum w^2 + s = lam, t = s / lam: a zero eigenvalue no symmetry explains"),
        Finding("tabular pairs, alpha = 0, rho = 0", "refuted by counterexample",
                ("cmd:expfam-nash verify tabular --joint random:3:3:0", "proof:tabular",
                 T + "test_counterexample_tabular_without_anchor_is_a_continuum"),
                "every full-support coupling of pi(x) and pi(z) is an equilibrium: (NX-1)(NZ-1) neutral directions"),
        Finding("Bernoulli pair, affine lifts, rho = 0, random weighted data", "refuted by counterexample",
                ("cmd:expfam-nash verify bernoulli --data random:6:0 --latent-dim 3",
                 T + "test_counterexample_bernoulli_escapes_past_an_unstable_collapsed_point"),
                "every finite equilibrium found is unstable (with 64 starts: 4 classes, the collapsed point among "
                "them, all with an eigenvalue of positive real part); most runs escape to infinity"),
        Finding("Bernoulli pairs, affine lifts, alpha = 0, rho = 0: the collapsed point is never strictly stable "
                "(a zero eigenvalue for uncorrelated data coordinates, a saddle for correlated ones); it is stable "
                "iff rho > rho* = max Re spec of the centred weight block J_w, which for a product prior and equal "
                "data variances sigma^2 is max_c Var(z_c) sigma (sqrt(lambda_max(Sigma_x)) - sigma)",
                "verified on generated instances",
                ("proof:collapsed_affine", "test:tests/test_symbolic.py::test_collapsed_point_gradient_jacobian_and_stability",
                 "test:tests/test_symbolic.py::test_equal_variance_threshold_formula"),
                "its Jacobian is derived symbolically; the stability criterion is checked numerically (240 cases "
                "in the proof script), not proved"),
        Finding("finite pairs under the Rosen condition of claim 4", "proved (argued)",
                (T + "test_claim4_rosen_level_makes_the_game_diagonally_strictly_concave",),
                "unique and globally attracting"),
        Finding("anchored tabular pairs (claim 6)", "proved (argued)", ("proof:tabular",), "unique, and stable on every "
                "generated instance"),
    )),
    Claim(6, "anchored games", "With alpha > 0 (each player also fits labelled data) the equilibrium is unique.", (
        Finding("tabular pairs, any NX and NZ, alpha > 0, rho = 0, labelled joint L > 0 everywhere: L is the unique "
                "equilibrium (the two joints coincide with it)",
                "proved (argued)", ("proof:tabular", T + "test_claim6_anchored_tabular_equilibrium_is_the_labelled_joint",
                                    "test:tests/test_symbolic.py::test_labelled_joint_is_the_equilibrium_with_alpha"),
                "a max/min comparison of the ratios u_z = pi(z)/m_p(z), v_x = pi(x)/m_q(x) forces u = v = 1; every "
                "algebraic identity of the argument is checked by sympy (proofs/tabular.md)"),
        Finding("tabular pairs, alpha in {0.05, 0.4, 1}, rho in {0, 0.3}", "verified on generated instances",
                (T + "test_claim6_anchored_tabular_games_have_one_stable_class",),
                f"verify finds exactly one class, stable, no escape ({N})"),
        Finding("Bernoulli pairs with affine lifts and a labelled joint whose marginals are the data and the prior, "
                "weak anchor (alpha = 0.1 or 0.05)", "refuted by counterexample",
                (T + "test_counterexample_weakly_anchored_bernoulli_has_two_stable_classes",),
                "d = 3, k = 1, labelled joint Dirichlet(0.5) (seed 1234), rho = 0: two stable equilibria with distinct "
                "invariants at alpha = 0.1, three classes at alpha = 0.05, unique from alpha = 0.2; found by the "
                "uniqueness-map figure, missed by the first property test"),
        Finding("the same Bernoulli pairs with alpha in {0.4, 1}, rho in {0, 0.1}", "verified on generated instances",
                (T + "test_claim6_strongly_anchored_bernoulli_games_have_one_stable_class",),
                f"{N}; no proof, and the threshold in alpha is not known in general"),
        Finding("labelled joints with zero entries, rho > 0 beyond the values above, other lifts", "open", (), ""),
    )),
    Claim(7, "limiting distribution", "If the joints pi(z) p(x|z) and pi(x) q(z|x) coincide, pi(x) is stationary for "
                                      "x -> z -> x; quantify the gap otherwise.", (
        Finding("joints equal", "proved symbolically", ("proof:limiting_distribution",
                                                        T + "test_claim7_equal_joints_give_a_stationary_data_distribution"), ""),
        Finding("any parameters: TV(pi, pi*) <= 2 TV(J_q, J_p) / (1 - tau(K)), tau Dobrushin's coefficient",
                "proved (argued)", (T + "test_claim7_stationary_gap_bound",),
                "argument in expfam_nash/verification/consistency.py; the inequality is checked on generated games "
                f"({N})"),
    )),
    Claim(8, "unbiased stochastic updates", "The stochastic algorithm's expected update equals the exact pseudo-gradient.", (
        Finding("every pair (minibatch draws x ~ pi(x), z ~ q(z|x) and z ~ pi(z), x ~ p(x|z); labelled draws with weight alpha)",
                "proved symbolically", ("proof:stochastic_unbiased",
                                        "test:tests/test_sampled.py::test_stochastic_mean_update_is_the_exact_pseudo_gradient",
                                        "test:tests/test_sampled.py::test_sampled_matches_exact_on_finite_games"),
                "and within 5 standard errors of the exact pseudo-gradient on generated games"),
    )),
)


#: modules of the seed-paper layer whose ``CLAIMS`` extend the register (plugins named by string: they
#: sit above this layer and import its types, so they cannot be imported here by name)
CLAIM_MODULES: tuple[str, ...] = ("expfam_nash.collapse.claims",)


def full_register() -> tuple[Claim, ...]:
    """``REGISTER`` (THEORY.md section 4) followed by the claims of ``CLAIM_MODULES``, by number."""
    import importlib

    extra = [c for module in CLAIM_MODULES for c in importlib.import_module(module).CLAIMS]
    return tuple(sorted((*REGISTER, *extra), key=lambda c: c.number))


def register_table(width: int = 60) -> str:
    """The register as a Markdown table (one row per finding)."""
    rows = ["| claim | condition | verdict | evidence |", "|---|---|---|---|"]
    for c in full_register():
        for i, f in enumerate(c.findings):
            head = f"**{c.number}. {c.title}**: {c.verdict}" if i == 0 else ""
            ev = "<br>".join(f"`{e}`" for e in f.evidence) if f.evidence else "-"
            rows.append(f"| {head} | {f.condition} | {f.verdict} | {ev} |")
    return "\n".join(rows)


def register_text() -> str:
    out = []
    for c in full_register():
        out.append(f"{c.number}. {c.title}: {c.verdict.upper()}\n   {c.statement}")
        for f in c.findings:
            out.append(textwrap.indent(textwrap.fill(f"- [{f.verdict}] {f.condition}", 96), "   "))
            for e in f.evidence:
                out.append(f"       {e}")
    return "\n".join(out)
