"""Conformance suites generated from the registries: every registered family (each of its
``examples``) against the exponential-family contract, every registered solver against the result
contract and solve's certificate fields, every result type against ``core.verdict.Result``."""
import numpy as np
import pytest

import expfam_nash as en
from conformance import check_equilibrium_result, check_family, check_result
from expfam_nash.dynamics import SOLVERS
from expfam_nash.families import FAMILIES

CASES = [(name, kw) for name in FAMILIES for kw in FAMILIES[name].meta["examples"]]


@pytest.mark.parametrize("name, kwargs", CASES, ids=[f"{n}-{kw}" for n, kw in CASES])
def test_family_conformance(name, kwargs):
    check_family(FAMILIES[name].obj(**kwargs))


def test_every_family_declares_examples_and_its_arguments():
    for entry in FAMILIES.entries():
        assert entry.meta.get("examples"), entry.name
        for kw in entry.meta["examples"]:
            assert set(kw) <= {a.name for a in entry.args}, entry.name


@pytest.fixture(scope="module")
def games():
    return {True: en.models.tabular("random:3:2:1", alpha=0.3, rho=0.3),
            False: en.models.bernoulli("bars:2", latent_dim=1, rho=0.3)}


@pytest.mark.parametrize("method", SOLVERS.names())
def test_solver_conformance(method, games):
    exact_needed = SOLVERS[method].meta["exact"]
    game = games[True] if exact_needed else games[False]
    steps = 60 if method in ("best-response", "newton") else 400
    result = en.solve(game, method=method, seed=1, tol=1e-9, max_steps=steps)
    check_equilibrium_result(result, method, 1e-9)
    assert result.options["seed"] == 1 and result.options["max_steps"] == steps
    if method in ("auto", "newton", "best-response"):
        assert result.converged and result.stable          # a strongly penalised anchored tabular game


def test_verify_and_sampled_results_follow_the_contract(games):
    v = en.verify(games[True], starts=3, seed=0)
    check_result(v, {"starts": 3, "seed": 0})
    for part in (v.certificate, v.symmetry, *v.classes, *(c.rosen for c in v.classes)):
        check_result(part)
    check_result(games[True].estimate(games[True].init(seed=0), n_samples=100, seed=0), {"n_samples": 100})
    check_result(games[True].best_responses(games[True].init(seed=0)))
    from expfam_nash.dynamics import stability
    check_result(stability(games[True], en.solve(games[True], seed=0).params))


def test_neural_results_follow_the_contract():
    from expfam_nash import neural as nn
    from expfam_nash.neural import evaluation as E

    model = nn.VAE(3, nn.priors.UniformBits(2), hidden=(4,))
    params = nn.learning.init(model, 0, dtype=np.float64).params
    x = np.array([[0, 1, 1], [1, 0, 0], [1, 1, 1.0]])
    check_result(E.log_likelihood_exact(model, params, x))
    info = nn.symmetric_step(model, nn.learning.init(model, 0), x, np.random.default_rng(0))[1]
    check_result(info)
    check_result(E.stationary(np.array([[0.9, 0.1], [0.2, 0.8]])))


def test_the_command_line_is_generated_from_the_registries():
    """Every task is a sub-command, every model a sub-command of the tasks that take one, every CLI
    argument a flag (aliases too), and no model argument shadows a task option."""
    from expfam_nash.cli.main import build_parser
    from expfam_nash.models import MODELS
    from expfam_nash.tasks import load

    parser = build_parser()              # raises on a clash between a model argument and a task option
    tasks = load()
    for entry in tasks.entries():
        if entry.obj.run is None:          # a sweep-only task: no sub-command, but a cell function
            assert entry.obj.compute is not None, entry.name
            with pytest.raises(SystemExit):
                parser.parse_args([entry.name])
            continue
        if entry.obj.models:
            registry = MODELS if entry.obj.models is True else entry.obj.models
            for model in registry.entries():
                argv = [entry.name, model.name]
                for arg in model.args:
                    if arg.cli:
                        for flag in (arg.flag, *arg.alias_flags):
                            ns = parser.parse_args(argv + [flag, _text(arg.default)])
                            assert getattr(ns, arg.name) == arg.parse(_text(arg.default)), (model.name, flag)
        else:
            parser.parse_args([entry.name] + [a.flag for a in entry.args if a.parse is bool][:1])


def _text(value) -> str:
    return ",".join(map(str, value)) if isinstance(value, (tuple, list)) else str(value)


def test_every_class_with_to_dict_is_a_frozen_result():
    """One result contract package-wide: a class that offers to_dict is a frozen dataclass with
    summary() as well (and no older as_dict)."""
    import dataclasses
    import importlib
    import inspect
    import pkgutil

    import expfam_nash

    seen = []
    for info in pkgutil.walk_packages(expfam_nash.__path__, "expfam_nash."):
        if info.name.endswith("__main__"):
            continue
        module = importlib.import_module(info.name)
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if cls.__module__ != module.__name__ or getattr(cls, "_is_protocol", False):
                continue
            assert not hasattr(cls, "as_dict"), cls
            if hasattr(cls, "to_dict"):
                seen.append(cls.__name__)
                assert hasattr(cls, "summary"), cls
                assert dataclasses.is_dataclass(cls) and cls.__dataclass_params__.frozen, cls
    assert {"EquilibriumResult", "VerifyResult", "Evaluation", "RunResult", "Estimate", "Verdict"} <= set(seen)
