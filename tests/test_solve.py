"""Solvers and the honesty of their reports."""
import numpy as np
import pytest

import expfam_nash as en
from expfam_nash.dynamics import algorithms as alg
from expfam_nash.dynamics import escape_test


def test_linear_gaussian_fixed_variances_stable_interior_equilibrium():
    game = en.models.linear_gaussian(eigenvalues=[3.0, 1.0], latent_dim=1, decoder_var=0.5, encoder_var=0.8)
    eq = en.solve(game, seed=0)
    assert eq.converged and not eq.diverged
    assert eq.residual < 1e-10
    assert eq.stable
    assert np.all(eq.jacobian_eigenvalues.real < 0)
    # 1-D closed form along the top eigen-direction (derivation in test_linear_gaussian_engine.py):
    # w^2 = sqrt(s lam / t) - s, v = w / (w^2 + s), reconstruction gain w v
    lam, s, t = 3.0, 0.5, 0.8
    w2 = np.sqrt(s * lam / t) - s
    np.testing.assert_allclose(eq.invariants["gain"][0], w2 / (w2 + s), rtol=1e-9)
    assert abs(eq.invariants["gain"][1]) < 1e-9


def test_isotropic_latent_rotation_is_the_only_neutral_direction():
    game = en.models.linear_gaussian(eigenvalues=[4.0, 2.5, 0.3], latent_dim=2, decoder_var=0.7, encoder_var=1.1)
    eq = en.solve(game, seed=0)
    assert eq.converged and eq.stable
    assert eq.orbit_dimension == 1 and eq.neutral_directions == 1


def test_a_run_whose_norm_grows_is_never_reported_converged():
    """The unregularised Bernoulli pair on random weighted data: the flow's norm grows like log(t)
    while the residual shrinks. No recession direction holds for every opponent, so escape is not
    certified either: undecided, with the growth as evidence."""
    game = en.models.bernoulli("random:6:0", latent_dim=3)
    eq = en.solve(game, seed=0)
    assert not eq.converged and not eq.stable and not eq.diverged
    assert eq.verdicts["escape"].status.value == "undecided"
    assert eq.verdicts["existence"].status.value == "undecided"
    assert eq.verdicts["escape"].evidence["norm_growth_per_efold"] > 0.1
    assert eq.escape.escaping and eq.escape.slope > 0          # the trajectory's test: evidence only
    assert eq.polish is not None and not eq.polish["accepted"]


def test_constant_pixel_makes_the_decoder_escape():
    game = en.models.bernoulli("independent:0.3,0.6,1.0", latent_dim=1)
    eq = en.solve(game, seed=0)
    assert eq.diverged and not eq.converged
    assert eq.verdicts["escape"].status.value == "certified" and eq.recession["player"] == "decoder"
    D = eq.recession["direction"]
    assert np.all(D[:2] == 0) and D[2, -1] > 0 and D[2, 0] >= 0     # only the constant pixel's row moves
    assert not eq.best_response_attained


def test_regularised_bernoulli_converges_to_stable_point():
    game = en.models.bernoulli("random:6:0", latent_dim=3, l2=0.1)
    eq = en.solve(game, seed=0)
    assert eq.converged and eq.stable and eq.residual <= 1e-10
    assert eq.verdicts["nash_gap"].status.value == "certified" and eq.nash_gap_bound <= 1e-20
    assert 0 < eq.enclosure_radius <= 1e-9 * eq.params.norm() and eq.lyapunov_margin > 0
    assert 0 < eq.max_stable_step < np.inf


def test_solve_is_deterministic_for_a_seed():
    game = en.models.bernoulli("bars:2", latent_dim=2, l2=0.3)
    a, b = en.solve(game, seed=4), en.solve(game, seed=4)
    np.testing.assert_array_equal(a.params.theta, b.params.theta)
    assert a.iterations == b.iterations


@pytest.mark.parametrize("method", ["simultaneous", "alternating", "best-response", "newton"])
def test_every_method_records_a_trajectory_and_converges_on_a_contracting_game(method):
    game = en.models.tabular("random:3:3:1", labeled_weight=0.5, l2=0.5)
    eq = en.solve(game, method=method, seed=0, max_steps=3000)
    tr = eq.trajectory
    assert tr.residual.shape == tr.param_norm.shape == tr.steps.shape
    assert tr.utilities.shape == (tr.steps.size, 2)
    assert eq.converged, eq.summary()
    ref = en.solve(game, seed=0)
    np.testing.assert_allclose(game.flatten(eq.params), game.flatten(ref.params), atol=1e-7)


def test_run_resumes_where_it_stopped():
    game = en.models.bernoulli("bars:2", latent_dim=2, l2=0.3)
    p = game.init(seed=0)
    algo = alg.simultaneous(game, 0.5)
    s_all, _ = alg.run(game, algo, p, 40)
    s_half, t1 = alg.run(game, algo, p, 20)
    s_rest, t2 = alg.run(game, algo, s_half, 20)
    np.testing.assert_array_equal(s_all.params.theta, s_rest.params.theta)
    assert t1.concat(t2).iterations == 40


def test_nash_gap_checkpoints():
    game = en.models.tabular("random:3:2:0", l2=0.3)
    _, tr = alg.run(game, alg.simultaneous(game, 0.5), game.init(seed=0), 30, gap_every=10)
    assert list(tr.gap_steps) == [0, 10, 20, 30]
    assert np.all(tr.nash_gap >= 0) and tr.nash_gap[-1] < tr.nash_gap[0]


def test_escape_test_separates_log_growth_from_geometric_convergence():
    t = np.arange(1, 5001)
    esc = escape_test(t, 2.0 + 0.8 * np.log(t), 1.0 / t)
    conv = escape_test(t, 3.0 - 2.0 * 0.99 ** t, 0.99 ** t)
    assert esc.escaping and abs(esc.slope - 0.8) < 1e-6
    assert not conv.escaping


def test_stability_flags_a_saddle():
    # lam = 3 > s t: the collapsed point (all weights 0) is an equilibrium and a saddle
    game = en.models.linear_gaussian(eigenvalues=[3.0], latent_dim=1, decoder_var=0.5, encoder_var=0.8)
    p = game.params(np.zeros((1, 2)), np.zeros((1, 2)))
    assert game.residual(p) < 1e-14
    st = en.stability(game, p)
    assert not st.stable and st.verdict.status.value == "refuted" and st.eigenvalues.real.max() > 0


def test_flow_keeps_learned_variances_in_their_domain():
    from expfam_nash.dynamics.solve import gradient_flow

    game = en.models.linear_gaussian(eigenvalues=[4.0, 2.5, 0.3], latent_dim=2, decoder_var="learned",
                                     encoder_var="learned")
    p, traj, lr = gradient_flow(game, game.init(seed=0), 500, 1e-8, lr=50.0)   # far too large a step
    assert lr < 50.0 and game.engine.in_domain(p.theta, p.phi)
    assert np.all(np.isfinite(traj.residual))
    with pytest.raises(en.game.DomainError):
        bad = p.theta.copy()
        bad[3:, -1] = 0.1                       # a positive precision entry: variance would be negative
        game.utilities(en.Params(bad, p.phi))


def test_linear_gaussian_from_samples_equals_moments():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((500, 2)) * [2.0, 0.7] + [0.3, -1.0]
    g_samples = en.models.linear_gaussian(samples=x, latent_dim=1, decoder_var=0.4, encoder_var=0.6)
    cov = np.cov(x.T, bias=True)
    lam, rot = np.linalg.eigh(cov)
    g_moments = en.models.linear_gaussian(eigenvalues=lam, rotation=rot, data_mean=x.mean(0), latent_dim=1,
                                          decoder_var=0.4, encoder_var=0.6)
    p = g_samples.init(seed=1)
    np.testing.assert_allclose(g_samples.utilities(p), g_moments.utilities(p), rtol=1e-12)
    np.testing.assert_allclose(g_samples.flatten(g_samples.gradient(p)), g_moments.flatten(g_moments.gradient(p)),
                               rtol=1e-10, atol=1e-12)
