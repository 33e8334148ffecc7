"""The house's promise: a new family and a new model, each added here by one registration, run
through the conformance checks, the exact engine, solve, verify and the command line without any
other file knowing about them. The family is Binomial(n) (a finite family without a fused-kernel
code, so the finite engine serves it by its generic path); a family that declares a kernel code
the engine does not know is rejected in one line."""
import json
from math import comb

import numpy as np
import pytest
from scipy.special import expit, logit

import expfam_nash as en
from conformance import check_equilibrium_result, check_family, check_result
from expfam_nash.cli.main import main
from expfam_nash.core.registry import Arg
from expfam_nash.environment import Finite
from expfam_nash.families import FAMILIES, Affine, ExponentialFamily
from expfam_nash.game import Game, Player
from expfam_nash.models import MODELS, RHO

H = 1e-6


class Binomial(ExponentialFamily):
    """Binomial(n) on {0..n}: T(y) = y, h(y) = C(n, y), A(eta) = n log(1 + e^eta)."""

    dim = stat_dim = 1
    finite = True

    def __init__(self, n: int = 2):
        self.n = n
        self.name = f"Binomial({n})"

    def sufficient_statistics(self, y):
        return np.asarray(y, dtype=np.float64).reshape(-1, 1)

    def log_base_measure(self, y):
        return np.log([comb(self.n, int(v)) for v in np.asarray(y).ravel()])

    def log_partition(self, eta):
        return self.n * np.logaddexp(0.0, eta[:, 0])

    def mean(self, eta):
        return self.n * expit(eta)

    def covariance(self, eta):
        s = expit(eta)
        return (self.n * s * (1 - s))[:, :, None]

    def natural(self, mu):
        mu = np.atleast_2d(self._check_mean(mu))
        if np.any((mu <= 0) | (mu >= self.n)):
            raise ValueError(f"mu: Binomial means must lie strictly inside (0, {self.n})")
        return logit(mu / self.n)

    def _sample(self, eta, rng):
        return rng.binomial(self.n, expit(eta)).astype(np.float64)

    def example_natural(self, rng, n):
        return rng.uniform(-3.0, 3.0, (n, 1))

    def support(self):
        return np.arange(self.n + 1, dtype=np.float64)[:, None]

    @property
    def support_size(self):
        return self.n + 1

    def check_support(self, y, name="y"):
        y = super().check_support(y, name)
        if np.any((y != np.round(y)) | (y < 0) | (y > self.n)):
            raise ValueError(f"{name}: {self.name} values must be integers in 0..{self.n}")
        return y


def binomial_pair(trials_x: int = 3, trials_z: int = 2, weights_seed: int = 0, rho: float = 0.0) -> Game:
    """Binomial decoder and encoder with affine lifts, random data and prior weights."""
    rng = np.random.default_rng(weights_seed)
    fx, fz = Binomial(trials_x), Binomial(trials_z)
    data = Finite(fx.support(), rng.dirichlet(np.ones(trials_x + 1)))
    prior = Finite(fz.support(), rng.dirichlet(np.ones(trials_z + 1)))
    return Game(Player(fx, Affine(1)), Player(fz, Affine(1)), data, prior, rho=rho, name="binomial-pair")


@pytest.fixture
def registered():
    FAMILIES.register("binomial", Binomial, args=(Arg("n", int, 2, "trials"),), help="Binomial(n)",
                      examples=({"n": 2}, {"n": 5}))
    MODELS.register("binomial-pair", binomial_pair, aliased=True, help="Binomial pair with affine lifts",
                    args=(Arg("trials_x", int, 3, "trials of x"), Arg("trials_z", int, 2, "trials of z"),
                          Arg("weights_seed", int, 0, "seed of the weights"), RHO))
    try:
        yield
    finally:
        FAMILIES.unregister("binomial")
        MODELS.unregister("binomial-pair")


def test_a_registered_family_passes_the_conformance_checks(registered):
    entry = FAMILIES["binomial"]
    for kwargs in entry.meta["examples"]:
        check_family(entry.obj(**kwargs))


def test_the_finite_engine_serves_a_family_it_has_no_kernel_for(registered):
    game = MODELS["binomial-pair"].obj(rho=0.2)
    assert not game.engine.fused                          # no kernel code: the generic blocked path
    p = game.init(seed=3, scale=2.0)
    # the utilities written out as sums over (x, z) with the family's own log-density
    fx, fz, X, Z = game.decoder.family, game.encoder.family, game.data.points, game.prior.points
    eta_p = lambda z: p.theta @ np.array([z[0], 1.0])    # noqa: E731
    eta_q = lambda x: p.phi @ np.array([x[0], 1.0])      # noqa: E731
    logp = lambda x, z: fx.log_density(x[None], eta_p(z)[None])[0]   # noqa: E731
    logq = lambda z, x: fz.log_density(z[None], eta_q(x)[None])[0]   # noqa: E731
    pen = 0.1 * (p.theta[0, 0] ** 2), 0.1 * (p.phi[0, 0] ** 2)
    lp = sum(wx * np.exp(logq(z, x)) * logp(x, z) for x, wx in zip(X, game.data.weights) for z in Z) - pen[0]
    lq = sum(wz * np.exp(logp(x, z)) * logq(z, x) for z, wz in zip(Z, game.prior.weights) for x in X) - pen[1]
    np.testing.assert_allclose(game.utilities(p), (lp, lq), rtol=1e-12)
    vec = game.flatten(p)
    fd = np.array([(game.flat_gradient(vec + e) - game.flat_gradient(vec - e)) / (2 * H)
                   for e in np.eye(vec.size) * H]).T
    np.testing.assert_allclose(game.jacobian(p), fd, rtol=1e-6, atol=1e-7)
    nt = game.layout.n_theta                               # each player differentiates its own utility
    own = [(game.utilities(game.unflatten(vec + e))[int(i >= nt)] - game.utilities(game.unflatten(vec - e))[int(i >= nt)])
           / (2 * H) for i, e in enumerate(np.eye(vec.size) * H)]
    np.testing.assert_allclose(game.flat_gradient(vec), own, rtol=1e-6, atol=1e-7)


def test_a_registered_model_runs_through_solve_verify_and_the_cli(registered, capsys):
    game = en.models.make("binomial-pair", trials_x=3, trials_z=2, l2=0.3)      # the alias reaches it too
    eq = en.solve(game, seed=0)
    check_equilibrium_result(eq, "auto", 1e-10)
    # the certifier has no model of a family it does not know: the engine finds the point, nothing
    # is certified, and every verdict says so
    assert eq.residual <= 1e-10 and not eq.converged and not eq.stable and not eq.certified
    assert all(v.status.value == "undecided" and "no exact model" in v.reason for v in eq.verdicts.values())
    v = en.verify(game, starts=4, seed=0)
    check_result(v, {"starts": 4})
    assert v.converged == 0 and not v.classes and v.not_converged == 4 and not v.unique
    assert main(["solve", "binomial-pair", "--trials-x", "3", "--trials-z", "2", "--l2", "0.3", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert not out["converged"] and np.isclose(out["residual"], eq.residual, atol=1e-10)
    assert main(["verify", "binomial-pair", "--rho", "0.3", "--starts", "3", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["not_converged"] == 3


def test_an_unknown_kernel_code_is_rejected_in_one_line():
    class Coded(Binomial):
        kernel_code = 7

    fx = Coded(2)
    with pytest.raises(ValueError, match=r"^decoder family: Binomial\(2\) declares kernel code 7") as info:
        Game(Player(fx, Affine(1)), Player(Binomial(1), Affine(1)), Finite(fx.support(), np.full(3, 1 / 3)),
             Finite(Binomial(1).support(), [0.5, 0.5]))
    assert "\n" not in str(info.value)


def test_an_object_that_is_not_a_family_is_rejected():
    with pytest.raises(ValueError, match=r"^family: expected an exponential family .*missing"):
        Player(object(), Affine(1))


def test_a_model_argument_that_shadows_a_task_option_is_refused():
    from expfam_nash.cli.main import build_parser

    MODELS.register("shadowing", binomial_pair, args=(Arg("seed", int, 0, "clashes with solve's --seed"),))
    try:
        with pytest.raises(ValueError, match="'seed' is also an option of the task"):
            build_parser()
    finally:
        MODELS.unregister("shadowing")
