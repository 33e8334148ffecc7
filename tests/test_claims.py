"""Property tests, one or more per claim of THEORY.md section 4, each asserting its claim exactly
on the conditions under which the claims register (expfam_nash/verification/claims.py) says it
holds; counterexamples are kept as explicit regression tests."""
import ast
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from strategies import anchored_bernoulli_game, finite_games

import expfam_nash as en
from expfam_nash.cli.main import build_parser
from expfam_nash.environment import Finite
from expfam_nash.families import binary_support
from expfam_nash.verification import collapsed_start, global_certificate, point_certificate, verify
from expfam_nash.verification.claims import REGISTER
from expfam_nash.verification.consistency import consistency

ROOT = Path(__file__).resolve().parents[1]


# -- claim 1: own-concavity ----------------------------------------------------------------------
def _linear_gaussian_cases():
    for dv in (0.6, "learned"):
        for ev in (0.9, "learned"):
            for rho in (0.0, 0.4):
                yield en.models.linear_gaussian(eigenvalues=[2.0, 0.7], latent_dim=2, decoder_var=dv,
                                                encoder_var=ev, l2=rho)


@given(finite_games())
def test_claim1_own_hessians_are_negative_semidefinite(case):
    game, params = case
    for h in game.own_hessians(params):
        assert np.linalg.eigvalsh(h).max() <= 1e-12 * max(1.0, np.abs(h).max())


def test_claim1_own_hessians_are_negative_semidefinite_for_gaussian_pairs():
    for game in _linear_gaussian_cases():
        for seed in range(5):
            for h in game.own_hessians(game.init(seed=seed, scale=2.0)):
                assert np.linalg.eigvalsh(h).max() <= 1e-12 * max(1.0, np.abs(h).max())


def _strict_by_rank(game, player):
    pl = game.decoder if player == "decoder" else game.encoder
    _, feats = game.engine.weighted_pairs(player)
    free = pl.mask & ~(pl.penalty_mask if game.rho > 0 else np.zeros_like(pl.mask))
    for row in free:
        cols = np.nonzero(row)[0]
        if cols.size and np.linalg.matrix_rank(feats[:, cols], tol=1e-9) < cols.size:
            return False
    return True


@given(finite_games())
def test_claim1_strictness_is_the_feature_rank_condition(case):
    game, params = case
    for player, h in zip(("decoder", "encoder"), game.own_hessians(params)):
        top = np.linalg.eigvalsh(h).max()
        if _strict_by_rank(game, player):
            assert top < 0
        else:
            assert top > -1e-12 * max(1.0, np.abs(h).max())


# -- claim 2: best responses ---------------------------------------------------------------------
@given(finite_games())
def test_claim2_recession_certificate_decides_attainment(case):
    game, params = case
    for idx, player in enumerate(("decoder", "encoder")):
        cert = game.recession_certificate(player)
        br = game.best_response(params, player)
        if cert is None:
            assert br.attained and br.gradient_norm <= 1e-8 * max(1.0, abs(br.value))
            continue
        assert not br.attained
        values = []
        for s in (0.0, 1.0, 4.0, 16.0):
            th, ph = params.theta.copy(), params.phi.copy()
            if idx == 0:
                th = th + s * cert
            else:
                ph = ph + s * cert
            values.append(game.utilities(en.Params(th, ph))[idx])
        assert np.all(np.diff(values) > 0), values


def test_counterexample_constant_pixel_has_no_finite_equilibrium():
    game = en.models.bernoulli("independent:0.3,1.0", latent_dim=1, l2=0.5)
    assert game.recession_certificate("decoder") is not None
    eq = en.solve(game, seed=0, max_steps=3000)
    assert eq.diverged and not eq.converged
    verdict = verify(game, starts=4, seed=0, max_steps=2000)
    assert verdict.nonexistence and not verdict.unique and verdict.converged == 0


# -- claim 3: existence ----------------------------------------------------------------------------
@given(st.integers(2, 3), st.integers(2, 3), st.integers(0, 10 ** 6), st.sampled_from([0.0, 0.3, 1.0]),
       st.sampled_from([0.1, 0.5, 2.0]))
def test_claim3_penalised_tabular_games_have_a_finite_equilibrium(nx, nz, seed, alpha, rho):
    game = en.models.tabular(f"random:{nx}:{nz}:{seed}", labeled_weight=alpha, l2=rho)
    for pl in (game.decoder, game.encoder):               # one-hot lifts: every coordinate is penalised
        assert np.array_equal(pl.penalty_mask, pl.mask)
    eq = en.solve(game, seed=seed % 97)
    assert eq.converged and not eq.diverged and eq.nash_gap <= 1e-10


@given(st.integers(2, 5), st.integers(1, 3), st.integers(0, 10 ** 6), st.sampled_from([0.0, 0.3]),
       st.booleans())
def test_claim3_collapsed_point_is_an_equilibrium(d, k, seed, rho, product_prior):
    rng = np.random.default_rng(seed)
    X = binary_support(d)
    data = Finite(X, rng.dirichlet(np.ones(X.shape[0])))
    prior = None
    if not product_prior:
        prior = Finite(binary_support(k), rng.dirichlet(np.ones(2 ** k)))
    game = en.models.bernoulli(data, latent_dim=k, l2=rho, prior=prior)
    p = collapsed_start(game)
    assert game.residual(p) <= 1e-12
    assert np.allclose(p.theta[:, :-1], 0) and np.allclose(p.phi[:, :-1], 0)


# -- claim 4: Rosen certificates -------------------------------------------------------------------
@given(st.integers(2, 3), st.integers(2, 3), st.integers(0, 10 ** 6), st.sampled_from([0.0, 0.5]),
       st.floats(1.05, 2.0))
def test_claim4_rosen_level_makes_the_game_diagonally_strictly_concave(nx, nz, seed, alpha, factor):
    base = en.models.tabular(f"random:{nx}:{nz}:{seed}", labeled_weight=alpha)
    rho = factor * global_certificate(base).rho_star
    game = en.models.tabular(f"random:{nx}:{nz}:{seed}", labeled_weight=alpha, l2=rho)
    cert = global_certificate(game)
    assert cert.holds
    for s, scale in enumerate((0.5, 3.0, 10.0)):
        jac = game.jacobian(game.init(seed=seed + s, scale=scale))
        assert np.linalg.eigvalsh(0.5 * (jac + jac.T)).max() < 0
    verdict = verify(game, starts=4, seed=seed)
    assert verdict.unique and verdict.classes[0].representative.stable


@given(finite_games())
def test_claim4_point_certificate_implies_stability(case):
    game, params = case
    eq = en.solve(game, init=params, max_steps=3000)
    if not eq.converged:
        return
    if point_certificate(game, eq.params).holds:
        assert eq.stable


# -- claim 5: counterexamples to "unique and stable" -----------------------------------------------
def test_counterexample_linear_gaussian_has_a_collapsed_saddle():
    game = en.models.linear_gaussian(eigenvalues=[3.0, 1.0], latent_dim=1, decoder_var=0.5, encoder_var=0.8)
    v = verify(game, starts=6, seed=0)
    assert not v.unique and len(v.classes) >= 2
    collapsed = [c for c in v.classes if c.collapsed]
    assert len(collapsed) == 1 and not collapsed[0].representative.stable
    assert any(c.representative.stable and not c.collapsed for c in v.classes)


def test_counterexample_fully_learned_linear_gaussian_is_a_continuum():
    game = en.models.linear_gaussian(eigenvalues=[3.0], latent_dim=1, decoder_var="learned", encoder_var="learned")
    v = verify(game, starts=4, seed=0, max_steps=3000)
    assert v.continuum and not v.unique
    assert all(c.unexplained_neutral == 1 for c in v.classes)


def test_counterexample_tabular_without_anchor_is_a_continuum():
    game = en.models.tabular("random:3:3:0")
    v = verify(game, starts=6, seed=0)
    assert v.continuum and not v.unique
    assert all(c.representative.neutral_directions == (3 - 1) * (3 - 1) for c in v.classes)


def test_counterexample_bernoulli_escapes_past_an_unstable_collapsed_point():
    game = en.models.bernoulli("random:6:0", latent_dim=3)
    v = verify(game, starts=8, seed=0)
    assert v.escaped >= 1 and not v.unique
    collapsed = [c for c in v.classes if c.collapsed]
    assert collapsed and not any(c.representative.stable for c in v.classes)


# -- claim 6: anchored games -----------------------------------------------------------------------
@given(st.integers(2, 3), st.integers(2, 3), st.integers(0, 10 ** 6), st.sampled_from([0.05, 0.4, 1.0]),
       st.sampled_from([0.0, 0.3]))
def test_claim6_anchored_tabular_games_have_one_stable_class(nx, nz, seed, alpha, rho):
    game = en.models.tabular(f"random:{nx}:{nz}:{seed}", labeled_weight=alpha, l2=rho)
    v = verify(game, starts=6, seed=seed)
    assert v.unique, v.summary()
    assert v.classes[0].representative.stable


@given(st.integers(2, 3), st.integers(1, 2), st.integers(0, 10 ** 6), st.sampled_from([0.4, 1.0]),
       st.sampled_from([0.0, 0.1]))
def test_claim6_strongly_anchored_bernoulli_games_have_one_stable_class(d, k, seed, alpha, rho):
    """Only alpha in {0.4, 1}: weaker anchors are refuted (the regression test below)."""
    game = anchored_bernoulli_game(d, k, alpha, rho, seed)
    v = verify(game, starts=6, seed=seed)
    assert v.unique, v.summary()
    assert v.classes[0].representative.stable


def test_counterexample_weakly_anchored_bernoulli_has_two_stable_classes():
    """d = 3, k = 1, labelled joint Dirichlet(0.5) (seed 1234), rho = 0: alpha = 0.1 leaves two stable
    equilibria (distinct invariants; the prior and the labels break every latent symmetry), alpha =
    0.05 three classes; the same family is unique from alpha = 0.2 on."""
    for alpha, n_classes in ((0.05, 3), (0.1, 2), (0.2, 1)):
        v = verify(anchored_bernoulli_game(3, 1, alpha, 0.0, seed=1234), starts=16, seed=0)
        assert len(v.classes) == n_classes and v.escaped == 0, v.summary()
    v = verify(anchored_bernoulli_game(3, 1, 0.1, 0.0, seed=1234), starts=16, seed=0)
    assert sum(c.representative.stable for c in v.classes) == 2 and v.symmetry.order == 1


@given(st.integers(2, 4), st.integers(2, 4), st.integers(0, 10 ** 6), st.sampled_from([0.05, 0.3, 1.0]))
def test_claim6_anchored_tabular_equilibrium_is_the_labelled_joint(nx, nz, seed, alpha):
    game = en.models.tabular(f"random:{nx}:{nz}:{seed}", labeled_weight=alpha)
    eq = en.solve(game, seed=0)
    assert eq.converged
    table = game.labeled.table
    p = game.engine.decoder_table(eq.params.theta)                      # p(x|z)
    np.testing.assert_allclose(p, table / table.sum(0), atol=1e-8)
    assert consistency(game, eq.params).joint_gap <= 1e-8


# -- claim 7: the limiting distribution ------------------------------------------------------------
@given(st.integers(2, 4), st.integers(2, 4), st.integers(0, 10 ** 6))
def test_claim7_equal_joints_give_a_stationary_data_distribution(nx, nz, seed):
    game = en.models.tabular(f"random:{nx}:{nz}:{seed}")
    eq = en.solve(game, seed=seed % 13)
    assert eq.converged
    c = consistency(game, eq.params)
    assert c.joint_gap <= 1e-8 and c.stationary_gap <= 1e-7


@given(finite_games())
def test_claim7_stationary_gap_bound(case):
    game, params = case
    c = consistency(game, params)
    assert c.one_step_gap <= 2 * c.joint_gap + 1e-12
    assert c.stationary_gap <= c.bound + 1e-9


# -- the register itself ---------------------------------------------------------------------------
def _test_functions(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    return {n.name for n in tree.body if isinstance(n, ast.FunctionDef)}


def test_register_covers_every_claim_and_its_evidence_exists():
    from expfam_nash.verification.claims import full_register

    assert [c.number for c in REGISTER] == list(range(1, 9))
    assert [c.number for c in full_register()] == list(range(1, 13))    # 9-12: seed 003 (collapse)
    import proofs

    parser = build_parser()
    for claim in REGISTER:
        assert claim.findings
        for f in claim.findings:
            if f.verdict != "open":
                assert f.evidence, (claim.number, f.condition)
            if f.verdict in ("refuted by counterexample", "verified on generated instances"):
                assert any(e.startswith("test:") for e in f.evidence), (claim.number, f.condition)
            for e in f.evidence:
                kind, _, ref = e.partition(":")
                if kind == "proof":
                    assert ref in proofs.PROOFS, ref
                elif kind == "test":
                    file, _, func = ref.partition("::")
                    assert func in _test_functions(ROOT / file), ref
                elif kind == "cmd":
                    argv = ref.split()
                    assert argv[0] == "expfam-nash"
                    parser.parse_args(argv[1:])
                else:
                    pytest.fail(f"unknown evidence kind in {e!r}")


def test_readme_shows_the_register():
    from expfam_nash.verification.claims import register_table

    readme = (ROOT / "README.md").read_text()
    assert register_table() in readme, "README's claims table is stale: paste register_table() output"
