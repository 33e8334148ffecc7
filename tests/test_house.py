"""The redesign's contracts that no other suite covers: pure steps with an explicit random stream,
one vocabulary with the older spellings as aliases (Python keywords, CLI flags, saved configs),
independent random streams in the neural evaluation, engines that reject what they cannot serve,
and docs generated from the registries."""
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

import expfam_nash as en
from expfam_nash.cli.main import build_parser
from expfam_nash.dynamics import algorithms as alg
from expfam_nash.environment import Finite, Gaussian
from expfam_nash.families import Affine, GaussianFixed
from expfam_nash.game import Game, Player
from expfam_nash.game.finite import FiniteEngine

ROOT = Path(__file__).resolve().parents[1]


# -- pure steps, the stream owned by run ------------------------------------------------------
def test_the_stochastic_step_is_pure_and_takes_its_stream():
    game = en.models.bernoulli("bars:2", latent_dim=1, rho=0.1)
    algo = alg.stochastic(game, lr=0.1, batch_size=32, seed=3)
    state = algo.init(game.init(seed=0))
    snapshot = dict(state.rng_state["state"])
    a, _ = algo.step(state, state.generator())
    b, _ = algo.step(state, state.generator())
    assert state.rng_state["state"] == snapshot                      # the state is not mutated
    np.testing.assert_array_equal(a.params.theta, b.params.theta)    # same stream, same bytes
    with pytest.raises(ValueError, match="^rng:"):
        algo.step(state)


def test_a_stochastic_run_resumes_exactly():
    game = en.models.tabular("random:3:2:0", alpha=0.2, rho=0.1)
    algo = alg.stochastic(game, lr=0.2, batch_size=16, seed=7)
    start = game.init(seed=1)
    whole, _ = alg.run(game, algo, start, 40)
    half, _ = alg.run(game, algo, start, 17)
    rest, _ = alg.run(game, algo, half, 23)
    assert rest.step == whole.step == 40
    np.testing.assert_array_equal(rest.params.theta, whole.params.theta)
    np.testing.assert_array_equal(rest.params.phi, whole.params.phi)
    assert rest.rng_state == whole.rng_state


# -- one vocabulary, older spellings as aliases ------------------------------------------------------
def test_model_factories_take_rho_and_alpha_and_the_old_keywords():
    new = en.models.tabular("random:3:2:0", alpha=0.3, rho=0.2)
    for old in ({"labeled_weight": 0.3, "l2": 0.2}, {"labelled_weight": 0.3, "rho": 0.2}):
        g = en.models.tabular("random:3:2:0", **old)
        assert (g.alpha, g.rho) == (new.alpha, new.rho) == (0.3, 0.2)
    with pytest.raises(ValueError, match="given twice"):
        en.models.tabular("random:3:2:0", rho=0.1, l2=0.1)
    b = en.models.bernoulli("bars:2", latent_dim=1, l2=0.5)
    assert b.rho == 0.5 and b.labelled is None and b.labeled is None


def test_commands_quoted_in_open_issues_still_parse():
    parser = build_parser()
    ns = parser.parse_args("solve tabular --joint random:3:3:0 --labeled-weight 0.01".split())
    assert (ns.model, ns.joint, ns.alpha) == ("tabular", "random:3:3:0", 0.01)
    ns = parser.parse_args("verify linear-gaussian --eigenvalues 3e-6 --latent-dim 1 --decoder-var 5e-7 "
                           "--encoder-var 0.8".split())
    assert (ns.eigenvalues, ns.latent_dim, ns.decoder_var, ns.encoder_var) == ([3e-6], 1, 5e-7, 0.8)
    for flag in ("--l2", "--rho"):
        assert parser.parse_args(["solve", "bernoulli", flag, "0.4"]).rho == 0.4
    for flag in ("--decay", "--rho"):
        assert parser.parse_args(["train", flag, "0.1"]).rho == 0.1
    assert parser.parse_args(["train", "--labelled", "0.2"]).labelled_fraction == 0.2
    assert parser.parse_args(["train", "--eval-k", "7"]).eval_K == 7


def test_training_configs_accept_the_old_spellings():
    from expfam_nash.neural import TrainConfig

    old = TrainConfig.from_dict({"decay": 0.1, "labelled": 0.2, "alpha": 0.5, "dataset": "digits", "gone": 1})
    assert (old.rho, old.labelled_fraction, old.alpha) == (0.1, 0.2, 0.5)
    assert TrainConfig(decay=0.1) == TrainConfig(rho=0.1)
    assert "decay" not in TrainConfig().to_dict() and "rho" in TrainConfig().to_dict()


# -- engines reject what they cannot serve ------------------------------------------------------
def test_the_finite_engine_rejects_a_continuous_family():
    fam = GaussianFixed(1)
    dec, enc = Player(fam, Affine(1)), Player(fam, Affine(1))
    data = Finite(np.array([[0.0], [1.0]]), [0.5, 0.5])
    with pytest.raises(ValueError, match="^decoder family: .*no finite support"):
        FiniteEngine(dec, enc, data, data, None, 0.0, 0.0)
    game = Game(dec, enc, data, Gaussian(np.zeros(1), np.eye(1)))
    assert type(game.engine).__name__ == "LinearGaussianEngine" and game.finite_support is None


# -- the neural evaluation's random streams -----------------------------------------------------
def test_each_evaluation_measurement_has_its_own_stream():
    """The chain's distance is computed from its own stream: the same numbers as a chain measured
    alone (before, it continued the stream the model samples had used)."""
    from expfam_nash import neural as nn
    from expfam_nash.neural.evaluation import report as R

    rng = np.random.default_rng(0)
    data = SimpleNamespace(name="blob", x_train=rng.normal(size=(200, 2)), x_test=rng.normal(size=(120, 2)),
                           support="real", exact=None)
    model = nn.VAE(2, nn.priors.StandardNormal(2), hidden=(8,), data_kind="gaussian")
    params = nn.learning.init(model, 0, dtype=np.float64).params
    ev = R.evaluate(model, params, data, seed=4, K=20, chain_steps=3, n_eval=120)
    assert len(set(R.STREAMS)) == len(R.STREAMS)
    x = np.asarray(data.x_test, dtype=np.float64)
    alone = R._chain(model, params, data, x, np.asarray(data.x_train, dtype=np.float64), None,
                     R._context(data, x), 3, R._streams(4), [])
    assert alone["method"] == ev.chain["method"] == "mmd"
    for key in ("mmd", "mmd_floor", "mmd_null_sd"):
        assert alone[key] == ev.chain[key], key
    assert ev.options == {"K": 20, "chain_steps": 3}


# -- docs -------------------------------------------------------------------------------------------
def test_the_committed_registry_tables_are_up_to_date():
    from expfam_nash.tasks.docs import render

    assert (ROOT / "docs" / "REGISTRIES.md").read_text() == render(), \
        "docs/REGISTRIES.md is stale: run expfam-nash docs --out docs/REGISTRIES.md"


def test_the_architecture_doc_lists_every_layer_of_the_test():
    from test_architecture import LAYERS

    text = (ROOT / "docs" / "ARCHITECTURE.md").read_text()
    for names in LAYERS:
        for name in names:
            assert f"`{name}`" in text, name


def test_the_spectral_gap_of_a_large_chain_is_reproducible():
    """ARPACK (chains over 64 states) starts from a fixed vector: same matrix, same bytes."""
    from expfam_nash.stats import stationary

    rng = np.random.default_rng(1)
    T = rng.random((100, 100)) ** 8
    T /= T.sum(1, keepdims=True)
    a, b = stationary(T), stationary(T)
    assert a.second_eigenvalue == b.second_eigenvalue
    assert np.isclose(a.second_eigenvalue, np.sort(np.abs(np.linalg.eigvals(T)))[-2], rtol=1e-9)


def test_every_extra_a_figure_needs_is_declared_and_detectable():
    """A figure's extras are optional-dependency groups of pyproject.toml with a module that shows
    them installed (an unknown extra would make ``figures`` skip that figure on every machine)."""
    from pathlib import Path

    try:
        import tomllib
    except ImportError:                  # Python 3.10
        import tomli as tomllib

    from expfam_nash.experiments import figures

    groups = tomllib.loads((Path(__file__).parents[1] / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    for name in figures.load().names():
        for extra in figures.FIGURES.get(name).extras:
            assert extra in groups and extra in figures.EXTRA_MODULES, (name, extra)
