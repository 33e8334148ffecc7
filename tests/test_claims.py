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


@pytest.mark.parametrize("lift", ["fourier", "repeated"])
def test_claim1_rank_deficient_features_leave_a_flat_direction(lift):
    """The non-strict branch, reached on purpose: features that do not span (a Fourier lift of 4
    columns on a latent support of 2 points, or a feature table with a repeated column) leave a
    direction D (D psi(z) = 0 for every z) along which the decoder's own Hessian vanishes exactly;
    with spanning features every direction curves."""
    from expfam_nash.families import Features, Fourier

    X, Z = binary_support(2), binary_support(1)
    psi = Fourier(1, count=3, scale=1.5, seed=0) if lift == "fourier" else \
        Features(Z, np.array([[0.3, 0.3, 1.0], [1.7, 1.7, 1.0]]))
    game = en.Game(en.game.Player(en.families.Bernoulli(2), psi), en.game.Player(en.families.Bernoulli(1),
                   en.families.Affine(2)), Finite(X, np.array([0.1, 0.2, 0.3, 0.4])), Finite(Z, np.array([0.5, 0.5])))
    p = game.init(seed=0, scale=2.0)
    h_p = game.own_hessians(p)[0]
    feats = game.engine.weighted_pairs("decoder")[1]
    null = np.linalg.svd(feats)[2][-1]                    # D psi = 0 for every weighted pair
    assert np.abs(feats @ null).max() <= 1e-12
    D = np.kron(np.eye(2)[0], null)                       # row 0 of theta moves along the null vector
    assert np.abs(h_p @ D).max() <= 1e-12 * np.abs(h_p).max()
    assert np.linalg.eigvalsh(h_p).max() > -1e-12 * np.abs(h_p).max()
    spanning = en.models.bernoulli(Finite(X, np.array([0.1, 0.2, 0.3, 0.4])), latent_dim=1)
    assert np.linalg.eigvalsh(spanning.own_hessians(spanning.init(seed=0, scale=2.0))[0]).max() < 0


# -- claim 2: best responses ---------------------------------------------------------------------
@given(finite_games())
def test_claim2_recession_certificate_decides_attainment(case):
    """Where the LP finds a recession direction, one is certified independently of the code that uses
    it: in exact rational arithmetic (the LP's vertex or an interior point of the cone), then by its
    slope <D, grad U> > 0 at random points against random opponents (so no best response exists
    anywhere). Where it finds none, Newton attains a maximiser."""
    from expfam_nash.certify.escape import certified_recession

    game, params = case
    rng = np.random.default_rng(0)
    for idx, player in enumerate(("decoder", "encoder")):
        cert = game.recession_certificate(player)
        if cert is None:
            br = game.best_response(params, player)
            assert br.attained and br.gradient_norm <= 1e-8 * max(1.0, abs(br.value))
            continue
        exact = certified_recession(game, player)
        assert exact is not None
        for _ in range(3):
            q = game.init(seed=int(rng.integers(1000)), scale=4.0)
            g = game.gradient(q)
            assert float(np.sum((g.theta if idx == 0 else g.phi) * exact)) > 0


def test_claim2_an_lp_vertex_that_rounding_breaks_is_certified_from_the_interior():
    """A constant pixel seen through a 3-column feature table (found by the property test): the
    LP's vertex direction has a constraint at 0 in floating point that snapping to rationals breaks;
    an interior point of the recession cone is certified exactly."""
    from expfam_nash.certify.adapters import recession as pairs_of
    from expfam_nash.certify.escape import certified_recession, verify_recession
    from expfam_nash.families import Features

    Z = binary_support(1)
    table = np.array([[0.379668974885706, -1.8875993871702208, 1.0], [-0.04415799397832963, 1.7791259827385877, 1.0]])
    game = en.Game(en.game.Player(en.families.Bernoulli(1), Features(Z, table)),
                   en.game.Player(en.families.Bernoulli(1), en.families.Affine(1)),
                   Finite(np.array([[1.0]]), np.array([1.0])), Finite(Z, np.array([0.44847872, 0.55152128])))
    vertex, _, info = pairs_of(game, "decoder")
    assert vertex is not None and not verify_recession(info[3], info[0], info[1], info[2], vertex)[1]
    D = certified_recession(game, "decoder")
    assert D is not None and np.all(table @ D[0] > 0)        # every pair strictly: the bit is always 1


def test_claim2_a_class_seen_at_every_latent_point_keeps_its_equality_exactly():
    """Found by the thorough profile: a 3-class decoder whose data never shows class 1 (a recession
    direction lowers its logit) while classes 0 and 2 are both seen at both latent points, so the
    class-2 row of D must satisfy D_2 . psi(z) = 0 exactly for both z. The LP's vertex has that row
    in general position, rounding it to rationals breaks the equality, and the interior LP has no
    strict margin on it; the certifier keeps such rows exact (a rational null-space basis) and
    certifies the direction."""
    from expfam_nash.certify.adapters import recession as pairs_of
    from expfam_nash.certify.escape import certified_recession, verify_recession
    from expfam_nash.families import Features

    Z = binary_support(1)
    table = np.array([[0.1257302210933933, -0.1321048632913019, 1.0], [0.6404226504432821, 0.10490011715303971, 1.0]])
    game = en.Game(en.game.Player(en.families.Categorical(3), Features(Z, table)),
                   en.game.Player(en.families.Bernoulli(1), en.families.Affine(1)),
                   Finite(np.array([[0.0], [2.0]]), np.array([0.47140482103481623, 0.5285951789651837])),
                   Finite(Z, np.array([0.31740082050285306, 0.682599179497147])))
    vertex, _, info = pairs_of(game, "decoder")
    assert vertex is not None and not verify_recession(info[3], info[0], info[1], info[2], vertex)[1]
    D = certified_recession(game, "decoder")
    assert D is not None
    assert np.all(table @ D[0] < 0)                                 # class 1's logit falls at every z
    rng = np.random.default_rng(0)
    for _ in range(3):
        g = game.gradient(game.init(seed=int(rng.integers(1000)), scale=4.0))
        assert float(np.sum(g.theta * D)) > 0


def test_claim2_a_degenerate_maximum_is_attained_within_the_newton_budget():
    """Found by the thorough profile: no recession direction, but the encoder's maximiser lies at
    |phi| ~ 430 and full Newton steps converge only linearly there (359 steps at ~0.97 per step).
    The best response reaches it within the default budget and says so; with the former budget of
    200 it stopped with "iteration budget exhausted" (attained False: honest, but no answer)."""
    from expfam_nash.families import Fourier

    game = en.Game(en.game.Player(en.families.Categorical(4), Fourier(1, count=3, scale=1.5, seed=1)),
                   en.game.Player(en.families.Bernoulli(1), Fourier(1, count=3, scale=1.5, seed=178)),
                   Finite(np.array([[0.0]]), np.array([1.0])),
                   Finite(np.array([[0.0], [1.0]]), np.array([0.01887641889805587, 0.9811235811019441])))
    theta = np.array([[-2.4208124947659644, 0.7111710878205213, -0.3860682688759776, -5.98393628068719],
                      [-0.7327112557041978, 1.41835778168738, -0.8991313771608728, -5.98393628068719],
                      [0.5912977713833772, 0.9098733346229408, 1.8475786368413114, -5.98393628068719]])
    phi = np.array([[-0.47304638599008864, -1.544016915558975, 2.022752725072269, 3.7188285470533957]])
    assert game.recession_certificate("encoder") is None
    br = game.best_response(en.Params(theta, phi), "encoder")
    assert br.attained and br.iterations > 200 and br.gradient_norm <= 1e-8 * max(1.0, abs(br.value))
    short = game.best_response(en.Params(theta, phi), "encoder", max_iter=200)
    assert not short.attained and short.reason == "iteration budget exhausted"


def test_counterexample_constant_pixel_has_no_finite_equilibrium():
    game = en.models.bernoulli("independent:0.3,1.0", latent_dim=1, l2=0.5)
    assert game.recession_certificate("decoder") is not None
    eq = en.solve(game, seed=0, max_steps=3000)
    assert eq.diverged and not eq.converged and eq.verdicts["escape"].status.value == "certified"
    verdict = verify(game, starts=4, seed=0, max_steps=2000)
    assert verdict.nonexistence and not verdict.unique and verdict.converged == 0
    assert verdict.verdicts["existence"].status.value == "refuted"
    assert verdict.verdicts["uniqueness"].status.value == "refuted" and verdict.escaped == 4


# -- claim 3: existence ----------------------------------------------------------------------------
@given(st.integers(2, 3), st.integers(2, 3), st.integers(0, 10 ** 6), st.sampled_from([0.0, 0.3, 1.0]),
       st.sampled_from([0.1, 0.5, 2.0]))
def test_claim3_penalised_tabular_games_have_a_finite_equilibrium(nx, nz, seed, alpha, rho):
    game = en.models.tabular(f"random:{nx}:{nz}:{seed}", labeled_weight=alpha, l2=rho)
    for pl in (game.decoder, game.encoder):               # one-hot lifts: every coordinate is penalised
        assert np.array_equal(pl.penalty_mask, pl.mask)
    eq = en.solve(game, seed=seed % 97)
    assert eq.converged and not eq.diverged and eq.verdicts["nash_gap"].holds and eq.nash_gap_bound <= 1e-10


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


@given(st.sampled_from(["tabular", "bernoulli"]), st.integers(0, 10 ** 6), st.sampled_from([0.02, 0.1, 0.4]),
       st.sampled_from([0.0, 0.1]))
def test_claim4_point_certificate_implies_stability(kind, seed, alpha, rho):
    """Anchored games, which always have a certified equilibrium (no example is skipped): a Rosen
    certificate at the point, verified over the enclosure of J, is a diagonal Lyapunov function, so
    stability must be certified; a certified saddle never carries one."""
    game = en.models.tabular(f"random:3:3:{seed}", alpha=alpha, rho=rho) if kind == "tabular" else \
        anchored_bernoulli_game(3, 1, alpha, rho, seed)
    eq = en.solve(game, seed=seed % 7)
    assert eq.converged, eq.summary()
    rosen = point_certificate(game, eq.params, certificate=eq.certificate)
    assert rosen.rigorous
    if rosen.holds:
        assert eq.stable
    if eq.verdicts["stability"].status.value == "refuted":
        assert not rosen.holds


def test_claim4_point_certificate_fails_at_a_certified_saddle():
    game = en.models.bernoulli("random:6:0", latent_dim=3)
    eq = en.solve(game, init=collapsed_start(game))
    assert eq.converged and eq.verdicts["stability"].status.value == "refuted"
    rosen = point_certificate(game, eq.params, certificate=eq.certificate)
    assert rosen.rigorous and not rosen.holds


# -- claim 5: counterexamples to "unique and stable" -----------------------------------------------
def test_counterexample_linear_gaussian_has_a_collapsed_saddle():
    game = en.models.linear_gaussian(eigenvalues=[3.0, 1.0], latent_dim=1, decoder_var=0.5, encoder_var=0.8)
    v = verify(game, starts=6, seed=0)
    assert not v.unique and len(v.classes) >= 2 and v.verdicts["uniqueness"].status.value == "refuted"
    collapsed = [c for c in v.classes if c.collapsed]
    assert len(collapsed) == 1 and collapsed[0].representative.verdicts["stability"].status.value == "refuted"
    assert any(c.representative.stable and not c.collapsed for c in v.classes)


def test_counterexample_fully_learned_linear_gaussian_is_a_continuum():
    """The closed form (proofs/linear_gaussian) certifies the continuum w^2 + s = lam, t = s / lam; the
    engine cannot (J is singular there): every run ends undecided, on the curve."""
    lam = 3.0
    game = en.models.linear_gaussian(eigenvalues=[lam], latent_dim=1, decoder_var="learned", encoder_var="learned")
    v = verify(game, starts=4, seed=0, max_steps=3000)
    assert v.continuum and not v.unique and v.verdicts["uniqueness"].status.value == "refuted"
    assert "closed form" in v.verdicts["continuum"].reason and not v.classes
    end = en.solve(game, seed=0, max_steps=3000)
    assert end.verdicts["existence"].status.value == "undecided" and end.residual < 1e-9
    s_var = game.decoder.family.noise_variances(end.params.theta)[0]
    t_var = game.encoder.family.noise_variances(end.params.phi)[0]
    w = game.decoder.family.location_coefficients(end.params.theta)[0, 0]
    assert abs(w * w + s_var - lam) < 1e-6 * lam and abs(t_var - s_var / lam) < 1e-6


def test_counterexample_tabular_without_anchor_is_a_continuum():
    game = en.models.tabular("random:3:3:0")
    v = verify(game, starts=6, seed=0)
    assert v.continuum and not v.unique
    for c in v.classes:
        cont = c.representative.verdicts["continuum"]
        assert cont.holds and cont.evidence["dimension"] == (3 - 1) * (3 - 1)


def test_counterexample_bernoulli_has_several_unstable_equilibria_and_runs_that_grow():
    """rho = 0: the equilibria found are certified saddles, certified distinct (so not unique); most
    runs grow like log t without a certified equilibrium or escape (undecided, evidence of escape)."""
    game = en.models.bernoulli("random:6:0", latent_dim=3)
    v = verify(game, starts=8, seed=0)
    assert v.verdicts["uniqueness"].status.value == "refuted" and len(v.classes) >= 2
    assert all(c.representative.verdicts["stability"].status.value == "refuted" for c in v.classes)
    assert any(c.collapsed for c in v.classes) and v.not_converged >= 1 and v.escaped == 0


# -- claim 6: anchored games -----------------------------------------------------------------------
@given(st.integers(2, 3), st.integers(2, 3), st.integers(0, 10 ** 6), st.sampled_from([0.01, 0.05, 0.4]))
def test_claim6_anchored_tabular_games_have_a_certified_unique_stable_equilibrium(nx, nz, seed, alpha):
    """rho = 0: the anchored-tabular theorem certifies uniqueness; verify certifies the class stable."""
    game = en.models.tabular(f"random:{nx}:{nz}:{seed}", alpha=alpha)
    v = verify(game, starts=4, seed=seed)
    assert v.unique and "anchored-tabular theorem" in v.verdicts["uniqueness"].reason, v.summary()
    assert len(v.classes) == 1 and v.classes[0].stable


@given(st.integers(2, 3), st.integers(2, 3), st.integers(0, 10 ** 6), st.sampled_from([0.05, 0.4]))
def test_claim6_penalised_anchored_tabular_games_have_one_stable_class(nx, nz, seed, alpha):
    """rho = 0.3 (below the Rosen level): one certified stable class from every start; uniqueness
    is then evidence, not a certificate (undecided)."""
    game = en.models.tabular(f"random:{nx}:{nz}:{seed}", alpha=alpha, rho=0.3)
    v = verify(game, starts=4, seed=seed)
    assert len(v.classes) == 1 and v.classes[0].stable and v.converged == 4, v.summary()
    assert v.verdicts["uniqueness"].status.value == "undecided" and not v.unique


@given(st.integers(2, 3), st.integers(1, 2), st.integers(0, 10 ** 6), st.sampled_from([0.4, 0.7]),
       st.sampled_from([0.0, 0.1]))
def test_claim6_strongly_anchored_bernoulli_games_have_one_stable_class(d, k, seed, alpha, rho):
    """alpha in {0.4, 0.7} (weaker anchors are refuted below): one certified stable class; every flow
    start converges to it, and a damped-Newton start reaches it or ends undecided (never another
    class): Newton alone may run out into saturation and stall where the Jacobian is singular in
    floating point (found by the thorough profile: d = 2, k = 1, seed 383, alpha = 0.7, rho = 0,
    |params| ~ 1100). No theorem certifies uniqueness here (undecided)."""
    game = anchored_bernoulli_game(d, k, alpha, rho, seed)
    v = verify(game, starts=4, seed=seed)
    flow = [status for label, status in v.runs if not label.startswith("newton")]
    newton = [status for label, status in v.runs if label.startswith("newton")]
    assert len(v.classes) == 1 and v.classes[0].stable, v.summary()
    assert all(s == "converged" for s in flow) and all(s in ("converged", "undecided") for s in newton), v.summary()
    assert v.verdicts["uniqueness"].status.value == "undecided"


def test_claim6_a_newton_start_that_stalls_in_saturation_is_undecided_not_a_class():
    """The thorough profile's case: the Newton start ended far out (|params| ~ 1100, residual ~ 1e-3,
    a Jacobian singular in floating point). Such a run is never a class of its own and never an
    escape: it converges into the one stable class or stays undecided."""
    game = anchored_bernoulli_game(2, 1, 0.7, 0.0, 383)
    v = verify(game, starts=4, seed=383)
    assert dict(v.runs)["newton:0"] in ("converged", "undecided")
    assert len(v.classes) == 1 and v.classes[0].stable, v.summary()
    assert v.verdicts["escape"].status.value != "certified" and v.escaped == 0


def test_counterexample_weakly_anchored_bernoulli_has_two_stable_classes():
    """d = 3, k = 1, labelled joint Dirichlet(0.5) (seed 1234), rho = 0: alpha = 0.1 leaves two stable
    equilibria (distinct invariants; the prior and the labels break every latent symmetry), alpha =
    0.05 three classes; the same family is unique from alpha = 0.2 on."""
    for alpha, n_classes in ((0.05, 3), (0.1, 2), (0.2, 1)):
        v = verify(anchored_bernoulli_game(3, 1, alpha, 0.0, seed=1234), starts=16, seed=0)
        assert len(v.classes) == n_classes and v.escaped == 0, v.summary()
        assert v.verdicts["uniqueness"].status.value == ("refuted" if n_classes > 1 else "undecided")
    v = verify(anchored_bernoulli_game(3, 1, 0.1, 0.0, seed=1234), starts=16, seed=0)
    assert sum(c.stable for c in v.classes) == 2 and v.symmetry.order == 1
    assert "invariants are certified different" in v.verdicts["uniqueness"].reason


@given(st.integers(2, 4), st.integers(2, 4), st.integers(0, 10 ** 6), st.sampled_from([0.05, 0.3, 0.7]))
def test_claim6_anchored_tabular_equilibrium_is_the_labelled_joint(nx, nz, seed, alpha):
    game = en.models.tabular(f"random:{nx}:{nz}:{seed}", labeled_weight=alpha)
    eq = en.solve(game, seed=0)
    assert eq.converged and eq.stable
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
    assert [c.number for c in full_register()] == list(range(1, 17))    # 9-16: seed 003 (collapse; 13-16 the game)
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
