"""Issue 9, numerical defect classes: hangs, crashes instead of verdicts, silent wrong answers at
extreme parameters, validation gaps and size guards of the Python API. One regression test per
class (the fuzz suites, tests/test_fuzz_*.py, cover the same ground at random)."""
import numpy as np
import pytest

import expfam_nash as en
from conformance import check_equilibrium_result
from expfam_nash.core.validation import MAX_ARRAY_BYTES, NonFiniteError
from expfam_nash.dynamics import algorithms as alg
from expfam_nash.families import Bernoulli, Categorical, Fourier, GaussianFixed, GaussianLearned, Polynomial
from expfam_nash.game.best_response import newton_maximise
from fuzzing import time_bound


def _scaled(game, scale):
    p = game.init(seed=0)
    return en.Params(np.where(game.decoder.penalty_mask, p.theta * scale, p.theta), p.phi)


# -- hangs -------------------------------------------------------------------------------------------
def test_nash_gap_at_overflowing_parameters_returns_or_refuses_in_time():
    """The Newton best response looped forever when the gradient overflowed (its damping loop had
    no bound): now a clean NonFiniteError, within seconds."""
    game = en.models.linear_gaussian()
    with time_bound(20), pytest.raises(NonFiniteError, match="not finite"):
        game.nash_gap(_scaled(game, 1e299))


def test_newton_maximise_with_a_hessian_that_is_never_solvable_stops():
    """A finite Hessian so large that (-H + mu I) d = g has no finite solution for any damping mu
    (the solve overflows): the damping loop had no bound."""
    big = lambda x: (0.0, np.array([1.0, 1.0]), -np.full((2, 2), 1e308))  # noqa: E731
    with time_bound(10):
        out = newton_maximise(big, lambda x: 0.0, np.zeros(2), lambda x: 0.0)
    assert not out.attained and "no finite Newton step" in out.reason
    calls = []

    def later_nan(x):          # finite at the start, NaN after the first step
        calls.append(1)
        return -float(x @ x), -2 * x, (-2 * np.eye(1) if len(calls) == 1 else np.full((1, 1), np.nan))

    with time_bound(10):
        out = newton_maximise(later_nan, lambda x: -float(x @ x), np.array([3.0]), lambda x: 0.0)
    assert np.isfinite(out.value)


def test_newton_maximise_is_not_fooled_by_a_huge_utility():
    """f = -(x - 1e85)^2 from x = 0: |grad| = 2e85 is below 1e-10 |f| = 1e160, yet the maximum is
    1e170 away; the Newton decrement g.d / 2 = 1e170 says so."""
    c = 1e85
    fgh = lambda x: (-float((x[0] - c) ** 2), np.array([-2 * (x[0] - c)]), np.array([[-2.0]]))  # noqa: E731
    out = newton_maximise(fgh, lambda x: fgh(x)[0], np.zeros(1), lambda x: 0.0)
    assert out.attained and out.value >= -1e-6 * c and abs(out.x[0] - c) <= 1e-6 * c


def test_best_response_is_never_worse_than_the_neutral_start():
    """Learned variances driven to ~1e-298 by an unstable iteration: Newton's local model at that
    point (curvature ~1e300) saw no progress and called it attained, with L_p = -1.6e299 and a Nash
    gap of 0; the neutral start is far better, so Newton runs from there."""
    game = en.models.linear_gaussian(decoder_var="learned", encoder_var="learned")
    result = en.solve(game, method="simultaneous", init=_scaled(game, 1e150), max_steps=300)
    lp, _ = game.utilities(result.params)
    assert lp < -1e290
    assert game.nash_gap(result.params) >= -lp * (1 - 1e-9)


def test_a_nan_utility_is_never_a_gap_of_zero():
    from expfam_nash.game.best_response import BestResponses, Maximisation

    m = Maximisation(np.zeros(1), float("nan"), 0.0, 0, True, "")
    with pytest.raises(NonFiniteError, match="^nash_gap:"):
        BestResponses(m, m, (0.0, 0.0)).nash_gap


def test_gradient_flow_with_lr_nan_returns_at_once():
    from expfam_nash.dynamics import gradient_flow

    game = en.models.bernoulli("bars:2", latent_dim=2)
    with time_bound(20):
        try:
            _, traj, _ = gradient_flow(game, game.init(seed=0), 100, 1e-10, lr=float("nan"))
        except ValueError as exc:
            assert str(exc).startswith("lr:")
        else:
            assert traj.steps.size == 0


def test_learned_variance_with_data_of_extreme_scale_is_a_clean_error():
    game = en.models.linear_gaussian(eigenvalues=[1e98, 1e98], decoder_var="learned")
    with time_bound(30):
        result = en.solve(game, max_steps=200)
    assert not result.converged and "overflow" in result.reason


def test_solve_with_lr_nan_is_refused_before_any_work():
    game = en.models.bernoulli("bars:2", latent_dim=2)
    with time_bound(10), pytest.raises(ValueError, match="^lr:"):
        en.solve(game, lr=float("nan"))


# -- crashes instead of verdicts ------------------------------------------------------------------------
@pytest.mark.parametrize("method, lr", [("stochastic", None), ("simultaneous", 50.0), ("alternating", 50.0)])
def test_explicit_methods_report_an_unstable_run(method, lr):
    """These raised DomainError / NonFiniteError on a valid game; now the result says what happened."""
    result = en.solve(en.models.linear_gaussian(), method=method, lr=lr, max_steps=200)
    check_equilibrium_result(result, method, 1e-10)
    assert not result.converged and "unstable" in result.reason
    assert result.trajectory.failure and np.isfinite(result.params.norm())


def test_a_start_that_overflows_gives_a_result_with_an_empty_trajectory():
    game = en.models.linear_gaussian()
    for method in ("auto", "simultaneous", "newton"):
        result = en.solve(game, method=method, init=_scaled(game, 1e299), max_steps=50)
        assert result.iterations == 0 and not result.converged
        assert result.to_dict()["residual"] is None and "n/a" in result.summary()


def test_an_interrupted_first_step_gives_an_empty_trajectory_not_an_index_error():
    game = en.models.tabular("random:2:2:0")
    algo = alg.Algorithm("stop", lambda p: alg.State(p), lambda state, rng=None: (_ for _ in ()).throw(KeyboardInterrupt))
    state, traj = alg.run(game, algo, game.init(seed=0), 5)
    assert traj.interrupted and traj.steps.size == 0 and traj.iterations == 0 and "empty" in traj.summary()


# -- silent wrong answers -------------------------------------------------------------------------------
def test_utilities_and_nash_gap_at_extreme_parameters_are_finite_and_correct():
    """Bernoulli pair at theta ~ 1e299: L_p was NaN (0 * inf in the rho = 0 penalty) and the Nash gap
    0.0. The decoder's utility is -sum w |eta| over the wrong bits, ~ -1e299; the best response is
    O(1), so the gap is -L_p to rounding."""
    game = en.models.bernoulli("bars:2", latent_dim=2)
    params = _scaled(game, 1e299)
    lp, lq = game.utilities(params)
    assert lp < -1e297 and np.isfinite(lq)
    gap = game.nash_gap(params)
    assert np.isclose(gap, -lp, rtol=1e-12)
    with pytest.raises(NonFiniteError):
        en.models.linear_gaussian().utilities(_scaled(en.models.linear_gaussian(), 1e299))


def test_nash_gap_is_not_zero_far_from_the_maximiser():
    """|f| ~ 1e170 made |grad| 'small' relative to f: the best response was 'attained' at once and the
    gap read 0 at a point with residual 1e85."""
    game = en.models.linear_gaussian()
    params = _scaled(game, 1e85)
    assert game.residual(params) > 1e80
    assert game.nash_gap(params) > 1e100


def test_jacobian_is_finite_or_refused():
    game = en.models.linear_gaussian()
    with pytest.raises(NonFiniteError):
        game.jacobian(_scaled(game, 1e299))
    jac = en.models.bernoulli("bars:2", latent_dim=2).jacobian(_scaled(en.models.bernoulli("bars:2", latent_dim=2), 1e299))
    assert np.all(np.isfinite(jac))


def test_weights_are_never_ignored(tmp_path):
    pts = np.array([[0.0, 1.0], [1.0, 1.0]])
    with pytest.raises(ValueError, match="^weights:"):
        en.models.bernoulli("bars:2", weights=[0.5, 0.5])
    np.savez(tmp_path / "d.npz", points=pts, weights=np.array([0.3, 0.7]))
    with pytest.raises(ValueError, match="^weights:.*own weights"):
        en.models.bernoulli(str(tmp_path / "d.npz"), weights=[0.5, 0.5])
    assert sorted(en.models.bernoulli(str(tmp_path / "d.npz"), latent_dim=1).data.weights) == [0.3, 0.7]


@pytest.mark.parametrize("call, name", [
    (lambda: en.models.bernoulli(np.array([[1 + 1j, 0]]), latent_dim=1), "data"),
    (lambda: en.models.linear_gaussian(eigenvalues=[3 + 0.5j]), "eigenvalues"),
    (lambda: en.models.linear_gaussian(eigenvalues=["3", "1"]), "eigenvalues"),
    (lambda: en.Params(np.ones((2, 2)) * 1j, np.ones((1, 3))), "theta"),
])
def test_complex_and_text_values_are_refused(call, name):
    with pytest.raises(ValueError, match=f"^{name}: expected"):
        call()


def test_bernoulli_heads_refuse_non_binary_data():
    from expfam_nash import neural as nn
    from expfam_nash.neural.evaluation import log_likelihood_exact

    model = nn.VAE(3, nn.priors.UniformBits(2), hidden=(4,))
    state = nn.learning.init(model, seed=0)
    with pytest.raises(ValueError, match="^x: the model's data head is Bernoulli"):
        nn.symmetric_step(model, state, np.full((2, 3), 0.5, np.float32), np.random.default_rng(0))
    with pytest.raises(ValueError, match="Bernoulli"):
        log_likelihood_exact(model, state.params, np.full((2, 3), 0.5))


@pytest.mark.parametrize("hidden", [(1.5,), (True,), ("64",), "64", (0,), (2.0,)])
def test_hidden_widths_are_integers_never_rounded(hidden):
    from expfam_nash import neural as nn

    with pytest.raises(ValueError, match="^hidden:"):
        nn.TrainConfig(hidden=hidden)
    with pytest.raises(ValueError, match="^hidden:"):
        nn.VAE(3, nn.priors.UniformBits(2), hidden=hidden)


# -- validation gaps -----------------------------------------------------------------------------------
@pytest.mark.parametrize("family", [Bernoulli(2), Categorical(3), GaussianFixed(2, 0.5), GaussianLearned(1)])
@pytest.mark.parametrize("method", ["log_partition", "mean", "covariance"])
def test_family_maps_refuse_nan_wrong_shapes_and_out_of_domain(family, method):
    eta = family.example_natural(np.random.default_rng(0), 2)
    for bad, match in ((eta * np.nan, "NaN"), (np.zeros((2, family.stat_dim + 1)), "shape")):
        with pytest.raises(ValueError, match=f"^eta: .*{match}"):
            getattr(family, method)(bad)
    with pytest.raises(ValueError, match="^mu:"):
        family.natural(np.full((1, family.stat_dim), np.nan))


def test_learned_gaussian_mean_refuses_a_positive_precision():
    """mean((0, +1)) returned variance -0.5; the precision block must be < 0."""
    with pytest.raises(ValueError, match="precision"):
        GaussianLearned(1).mean(np.array([[0.0, 1.0]]))


def test_game_methods_refuse_none_before_any_evaluation():
    game = en.models.linear_gaussian()
    for method in ("check", "utilities", "jacobian", "invariants", "symmetry_tangents"):
        with pytest.raises(ValueError, match="^params: expected"):
            getattr(game, method)(None)
    with pytest.raises(ValueError, match="^params: expected"):
        game.best_response(None, "decoder")


@pytest.mark.parametrize("call, name", [
    (lambda: en.models.linear_gaussian().init(seed=0, scale=float("nan")), "scale"),
    (lambda: en.neural.Adam(eps=0.0), "eps"),
    (lambda: en.neural.Adam(b1=1j), "b1"),
    (lambda: en.solve(en.models.tabular("random:2:2:0"), method="newton", lr=0.1), "lr"),
    (lambda: en.solve(en.models.tabular("random:2:2:0"), method="auto", batch_size=8), "batch_size"),
    (lambda: en.models.linear_gaussian(samples=np.ones((5, 2)), eigenvalues=[2.0]), "samples"),
    (lambda: en.models.linear_gaussian(labelled=0.5), "labelled"),
])
def test_options_are_validated_or_refused_not_ignored(call, name):
    import expfam_nash.neural  # noqa: F401  (en.neural)

    with pytest.raises(ValueError, match=f"^{name}:"):
        call()


# -- size guards ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("call, name", [
    (lambda: en.models.linear_gaussian(latent_dim=10 ** 6), "latent_dim"),
    (lambda: Polynomial(30, degree=30), "degree"),
    (lambda: Fourier(1, count=10 ** 10), "count"),
    (lambda: en.models.linear_gaussian().estimate(en.models.linear_gaussian().init(seed=0), n_samples=10 ** 12), "n_samples"),
    (lambda: en.neural.TrainConfig(hidden=(10 ** 9,)) and en.neural.VAE(9, en.neural.priors.UniformBits(2),
                                                                          hidden=(10 ** 9,)), "hidden"),
    (lambda: en.models.tabular("random:100000:100000:0"), "NX"),
    (lambda: en.neural.datasets.load("bars:3", n_train=10 ** 11), "n_train"),
])
def test_sizes_are_refused_before_any_allocation(call, name):
    import tracemalloc

    import expfam_nash.neural  # noqa: F401

    tracemalloc.start()
    with time_bound(20), pytest.raises(ValueError, match=f"^{name}:"):
        call()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < MAX_ARRAY_BYTES / 16


def test_games_too_large_to_enumerate_are_sampled_only():
    """2^20 x 2^14 pairs (minutes per evaluation) was accepted as enumerable."""
    game = en.models.bernoulli("random:20:0:64", latent_dim=14)
    assert not game.exact
    with pytest.raises(ValueError, match="no exact engine"):
        game.utilities(game.init(seed=0))
    assert np.isfinite(game.estimate(game.init(seed=0), n_samples=100, seed=0).utilities[0])
