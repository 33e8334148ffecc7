"""Fuzzing the public Python API with hostile values (tests/fuzzing.py has the contract: a call
returns finite results or raises a one-line ValueError, within a time bound). Fast in the CI
profile, 20x broader with EXPFAM_NASH_PROFILE=thorough."""
import numpy as np
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import expfam_nash as en
from conformance import check_equilibrium_result
from expfam_nash.dynamics import SOLVERS
from expfam_nash.environment import Finite, FiniteJoint, Gaussian
from expfam_nash.families import FAMILIES, LIFTS
from expfam_nash.models import MODELS
from fuzzing import HOSTILE_SCALARS, assert_finite_numbers, examples, outcome

SETTINGS = dict(deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                                      HealthCheck.filter_too_much])

#: float arrays of hostile values and shapes (0 to 3 axes, up to 4 per axis)
FLOATS = st.one_of(st.floats(allow_nan=True, allow_infinity=True, width=64),
                   st.sampled_from([0.0, 1.0, -1.0, 0.5, 1e-300, 1e300, -1e300, 36.0, 800.0]))
ARRAYS = st.one_of(hnp.arrays(np.float64, hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=4), elements=FLOATS),
                   hnp.arrays(np.complex128, hnp.array_shapes(max_dims=2, max_side=3)),
                   st.lists(HOSTILE_SCALARS, max_size=4), HOSTILE_SCALARS)
FAMILY_CASES = [(name, kw) for name in FAMILIES for kw in FAMILIES[name].meta["examples"]]


@settings(max_examples=examples(60), **SETTINGS)
@given(case=st.sampled_from(FAMILY_CASES), method=st.sampled_from(["log_partition", "mean", "covariance", "natural",
                                                                   "sample", "check_support", "check_natural"]),
       value=ARRAYS, seed=st.integers(0, 3))
@example(case=("gaussian-fixed", {"d": 1, "variance": 0.5}), method="log_partition", value=np.array([[1e200]]), seed=0)
@example(case=("gaussian-learned", {"d": 1}), method="mean", value=np.array([[0.0, 1.0]]), seed=0)
def test_fuzz_family_maps(case, method, value, seed):
    fam = FAMILIES[case[0]].obj(**case[1])
    call = (lambda: fam.sample(value, seed=seed)) if method == "sample" else (lambda: getattr(fam, method)(value))
    status, out = outcome(f"api.family.{method}", call)
    if status == "ok":
        assert_finite_numbers(np.asarray(out, dtype=np.float64), f"{fam.name}.{method}")


@settings(max_examples=examples(40), **SETTINGS)
@given(case=st.sampled_from(FAMILY_CASES), y=ARRAYS, eta=ARRAYS)
def test_fuzz_family_log_density(case, y, eta):
    fam = FAMILIES[case[0]].obj(**case[1])
    status, out = outcome("api.family.log_density", lambda: fam.log_density(y, eta))
    if status == "ok":
        assert_finite_numbers(out)


@settings(max_examples=examples(40), **SETTINGS)
@given(name=st.sampled_from([n for n in LIFTS if n not in ("onehot", "features")]),
       args=st.lists(HOSTILE_SCALARS, min_size=1, max_size=4), u=ARRAYS)
def test_fuzz_lifts(name, args, u):
    keys = [a.name for a in LIFTS[name].args]
    kwargs = dict(zip(keys, args))
    status, lift = outcome(f"api.lift.{name}", lambda: LIFTS[name].obj(**kwargs), seconds=10)
    if status == "ok":
        status, out = outcome("api.lift.call", lambda: lift(u))
        if status == "ok":
            assert_finite_numbers(out)
            assert out.shape[1] == lift.n_features


def _model_kwargs(draw, entry):
    """Some of the model's arguments, each valid-looking or hostile."""
    out = {}
    for arg in entry.args:
        if not draw(st.booleans()):
            continue
        good = {"eigenvalues": st.lists(st.floats(1e-3, 10), min_size=1, max_size=3),
                "latent_dim": st.integers(1, 3), "decoder_var": st.sampled_from([0.5, "learned", 2.0]),
                "encoder_var": st.sampled_from([0.8, "learned"]), "rho": st.sampled_from([0.0, 0.1, 1.0]),
                "alpha": st.sampled_from([0.0, 0.3, 1.0]),
                "data": st.sampled_from(["bars:2", "random:3:0", "random:3:1:4", "independent:0.3,0.9"]),
                "joint": st.sampled_from(["random:2:2:0", "random:3:2:1"])}.get(arg.name)
        hostile = st.one_of(HOSTILE_SCALARS, ARRAYS)
        out[arg.name] = draw(st.one_of(good, hostile) if good is not None else hostile)
    return out


@st.composite
def models(draw):
    entry = MODELS[draw(st.sampled_from(MODELS.names()))]
    return entry.name, _model_kwargs(draw, entry)


@settings(max_examples=examples(60), **SETTINGS)
@given(model=models())
@example(model=("bernoulli", {"latent_dim": np.zeros((2, 1))}))     # (regression examples the thorough runs found)
@example(model=("linear-gaussian", {"decoder_var": np.zeros((2, 1))}))
@example(model=("linear-gaussian", {"labelled": ""}))
@example(model=("bernoulli", {"prior": 0.0}))
def test_fuzz_model_factories(model):
    name, kwargs = model
    status, game = outcome(f"api.model.{name}", lambda: MODELS[name].obj(**kwargs), seconds=30)
    if status == "ok":
        assert isinstance(game, en.Game)


GAMES = {"linear-gaussian": lambda: en.models.linear_gaussian(),
         "learned": lambda: en.models.linear_gaussian(eigenvalues=[2.0], decoder_var="learned", encoder_var="learned"),
         "bernoulli": lambda: en.models.bernoulli("bars:2", latent_dim=2),
         "tabular": lambda: en.models.tabular("random:3:2:0", alpha=0.2, rho=0.1)}
SCALES = st.sampled_from([0.0, 1.0, 30.0, 1e3, 1e10, 1e100, 1e200, 1e300, -1e300])


@pytest.fixture(scope="module")
def games():
    return {k: v() for k, v in GAMES.items()}


def _scaled(game, scale_theta, scale_phi, seed):
    p = game.init(seed=seed)
    with np.errstate(over="ignore"):
        th = np.where(game.decoder.penalty_mask, p.theta * scale_theta, p.theta)
        ph = np.where(game.encoder.penalty_mask, p.phi * scale_phi, p.phi)
    return en.Params(th, ph)


@settings(max_examples=examples(40), **SETTINGS)
@given(which=st.sampled_from(sorted(GAMES)), st_theta=SCALES, st_phi=SCALES, seed=st.integers(0, 5),
       what=st.sampled_from(["utilities", "gradient", "residual", "jacobian", "nash_gap", "own_hessians",
                             "invariants", "estimate", "best_responses"]))
@example(which="bernoulli", st_theta=0.0, st_phi=1e200, seed=0, what="estimate")
@example(which="learned", st_theta=1e200, st_phi=0.0, seed=0, what="invariants")
@example(which="linear-gaussian", st_theta=1e85, st_phi=1.0, seed=0, what="nash_gap")
def test_fuzz_game_at_extreme_parameters(games, which, st_theta, st_phi, seed, what):
    """At extreme but finite parameters: a finite value or a clean error, never NaN, and never a
    Nash gap of 0 where the utilities could not even be evaluated."""
    game = games[which]
    params = _scaled(game, st_theta, st_phi, seed)
    call = (lambda: game.estimate(params, n_samples=200, seed=0)) if what == "estimate" \
        else (lambda: getattr(game, what)(params))
    status, out = outcome(f"api.game.{what}", call, seconds=60)
    if status == "ok":
        value = out.to_dict() if hasattr(out, "to_dict") else (out.theta, out.phi) if what == "gradient" else out
        assert_finite_numbers(value, what)
    if what == "nash_gap" and status == "ok":
        assert out >= 0
        outcome("api.game.utilities", lambda: game.utilities(params))     # evaluable, since the gap was


@settings(max_examples=examples(40), **SETTINGS)
@given(which=st.sampled_from(sorted(GAMES)), method=st.sampled_from(SOLVERS.names()), scale=SCALES,
       lr=st.one_of(st.none(), st.sampled_from([1e-3, 0.5, 5.0, 1e3, 0.0, -1.0, float("nan"), float("inf")])),
       steps=st.sampled_from([1, 3, 40, 150]), seed=st.integers(0, 3))
@example(which="linear-gaussian", method="stochastic", scale=1.0, lr=None, steps=150, seed=0)
@example(which="learned", method="simultaneous", scale=1e100, lr=None, steps=40, seed=0)
def test_fuzz_solve(games, which, method, scale, lr, steps, seed):
    """Every method on valid games from extreme starts and with unstable step sizes reports what
    happened (the result contract) instead of raising; invalid options are one-line errors."""
    game = games[which]
    init = _scaled(game, scale, scale, seed)
    kw = dict(batch_size=32) if method == "stochastic" else {}
    status, result = outcome(f"api.solve.{method}",
                             lambda: en.solve(game, method=method, init=init, lr=lr, max_steps=steps, seed=seed, **kw),
                             seconds=120)
    valid = lr is None or (np.isfinite(lr) and lr > 0 and "lr" in SOLVERS[method].meta.get("uses", ()))
    if valid:                   # valid options on a valid game: a result, whatever happened in the run
        assert status == "ok", result
    if status == "ok":
        check_equilibrium_result(result, method, 1e-10)
        assert not (result.converged and not np.isfinite(result.residual))
    else:
        assert result.split(":")[0] == "lr", result


@settings(max_examples=examples(40), **SETTINGS)
@given(points=ARRAYS, weights=ARRAYS, mean=ARRAYS, cov=ARRAYS, table=ARRAYS)
def test_fuzz_environment(points, weights, mean, cov, table):
    for kind, call in (("finite", lambda: Finite(points, weights)), ("gaussian", lambda: Gaussian(mean, cov)),
                       ("joint", lambda: FiniteJoint(points, weights, table)),
                       ("bernoulli_data", lambda: en.models.bernoulli(points, weights=weights, latent_dim=1))):
        status, out = outcome(f"api.environment.{kind}", call, seconds=30)
        if status == "ok" and kind == "gaussian":
            assert_finite_numbers(out.moments())


@settings(max_examples=examples(40), **SETTINGS)
@given(spec=st.one_of(st.from_regex(r"(bars|random|independent|nonsense):[0-9a-z.,:\-]{0,12}", fullmatch=True),
                      st.text(max_size=12)),
       joint=st.one_of(st.from_regex(r"random:[0-9\-]{0,6}:[0-9\-]{0,6}:[0-9\-]{0,4}", fullmatch=True),
                       st.text(max_size=10)))
def test_fuzz_data_specs(spec, joint):
    outcome("api.spec.data", lambda: en.models.bernoulli(spec, latent_dim=1), seconds=30)
    outcome("api.spec.joint", lambda: en.models.tabular(joint), seconds=30)


@settings(max_examples=examples(40), **SETTINGS)
@given(kwargs=st.dictionaries(st.sampled_from(["hidden", "batch", "lr", "steps", "rho", "alpha", "labelled_fraction",
                                               "eval_K", "n_train", "seed", "dtype", "schedule", "data_variance",
                                               "model", "dataset", "method", "elbo_samples", "log_every"]),
                              st.one_of(HOSTILE_SCALARS, st.lists(HOSTILE_SCALARS, max_size=3)), max_size=3),
       adam=st.dictionaries(st.sampled_from(["lr", "b1", "b2", "eps", "rho"]), HOSTILE_SCALARS, max_size=2))
def test_fuzz_neural_configuration(kwargs, adam):
    from expfam_nash import neural as nn

    outcome("api.neural.TrainConfig", lambda: nn.TrainConfig(**kwargs))
    outcome("api.neural.Adam", lambda: nn.Adam(**adam))
    outcome("api.neural.VAE", lambda: nn.VAE(4, nn.priors.UniformBits(2), hidden=kwargs.get("hidden", (3,))))


@pytest.fixture(scope="module")
def small_vae():
    from expfam_nash import neural as nn

    return nn.VAE(4, nn.priors.UniformBits(2), hidden=(5,))


@settings(max_examples=examples(40), **SETTINGS)
@given(x=ARRAYS, method=st.sampled_from(["symmetric", "elbo"]))
def test_fuzz_learning_steps(small_vae, x, method):
    from expfam_nash import neural as nn

    state = nn.learning.init(small_vae, seed=0, dtype=np.float64)
    step = nn.LEARNING_METHODS[method].obj
    status, out = outcome(f"api.neural.{method}_step", lambda: step(small_vae, state, x, np.random.default_rng(0)))
    if status == "ok":
        assert all(np.all(np.isfinite(p)) for p in out[0].params.values())


@settings(max_examples=examples(30), **SETTINGS)
@given(matrix=ARRAYS, p=ARRAYS, q=ARRAYS)
def test_fuzz_stats(matrix, p, q):
    from expfam_nash import stats

    for kind, call in (("stationary", lambda: stats.stationary(matrix)), ("dobrushin", lambda: stats.dobrushin(matrix)),
                       ("total_variation", lambda: stats.total_variation(p, q)), ("mmd", lambda: stats.mmd(p, q))):
        status, out = outcome(f"api.stats.{kind}", call, seconds=30)
        if status == "ok":
            assert_finite_numbers(out.to_dict() if hasattr(out, "to_dict") else out, kind)
