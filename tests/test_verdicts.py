"""Issue 10's acceptance tests: solve's and verify's verdicts on the four reproductions, in every unit
system, with certificates behind every true boolean; certify=False; true reason strings; step-size
instability as a verdict."""
import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

pytest.importorskip("flint")

import expfam_nash as en  # noqa: E402
from expfam_nash.certify import max_stable_step  # noqa: E402
from expfam_nash.cli.main import main  # noqa: E402
from expfam_nash.environment import Finite  # noqa: E402
from expfam_nash.families import Bernoulli, Categorical, Features, binary_support  # noqa: E402
from expfam_nash.game import Game, Player  # noqa: E402
from expfam_nash.models import joint_table  # noqa: E402

STATUS = ("certified", "refuted", "undecided")


def _cli(capsys, argv: list[str]) -> dict:
    assert main(argv + ["--json"]) == 0
    return json.loads(capsys.readouterr().out)


def _status(d: dict) -> dict:
    return {k: v["status"] for k, v in d["verdicts"].items()}


def joint_conditionals(game, table):
    """theta, phi of p(x|z) = P(x|z), q(z|x) = P(z|x): the anchored tabular game's equilibrium (its
    data and prior are P's marginals), a closed form independent of the engine and the solver."""
    L = np.log(table)
    return game.flatten(game.params(L[1:, :] - L[0:1, :], (L[:, 1:] - L[:, 0:1]).T))


# -- reproduction 1: weakly anchored tabular games ---------------------------------------------------
@pytest.mark.parametrize("alpha", ["0.01", "1e-3"])
def test_weakly_anchored_tabular_solve_is_a_certified_stable_equilibrium(capsys, alpha):
    """Was: DIVERGED (0.01) and no equilibrium (1e-3): the flow crawls along the weakly anchored
    directions. Now the end point is continued along the flow and the equilibrium certified; it is
    the labelled joint's conditionals, to within the enclosure radius."""
    out = _cli(capsys, ["solve", "tabular", "--joint", "random:3:3:0", "--labeled-weight", alpha])
    s = _status(out)
    assert out["converged"] and out["stable"] and not out["diverged"]
    assert s["existence"] == s["convergence"] == s["stability"] == s["uniqueness"] == "certified"
    assert s["continuum"] == "refuted" and s["escape"] != "certified"
    game = en.models.tabular(joint="random:3:3:0", alpha=float(alpha))
    got = game.flatten(en.Params(np.array(out["params"]["theta"]), np.array(out["params"]["phi"])))
    exact = joint_conditionals(game, joint_table("random:3:3:0"))
    assert np.max(np.abs(got - exact)) <= out["enclosure_radius"] * (1 + 1e-9) + 1e-14 * np.max(np.abs(exact))
    assert 0 < out["enclosure_radius"] < 1e-6 and out["lyapunov_margin"] > 0
    assert "step budget exhausted" not in out["reason"]


def test_weakly_anchored_tabular_verify_certifies_uniqueness(capsys):
    """Was: escapes and "not unique". The anchored-tabular theorem certifies uniqueness."""
    out = _cli(capsys, ["verify", "tabular", "--joint", "random:3:3:0", "--labeled-weight", "0.01", "--starts", "4"])
    assert out["unique"] and not out["continuum"] and out["escaped"] == 0
    assert out["verdicts"]["uniqueness"]["status"] == "certified"
    assert "anchored-tabular theorem" in out["verdicts"]["uniqueness"]["reason"]
    assert len(out["classes"]) == 1 and out["classes"][0]["stable"]


# -- reproduction 2: the linear-Gaussian game in other units ----------------------------------------
def _lg_fingerprint(out: dict) -> tuple:
    classes = sorted((round(c["invariants"]["gain"][0], 6), c["verdicts"]["stability"]["status"],
                      c["verdicts"]["continuum"]["status"]) for c in out["classes"])
    return _status(out), classes


def test_linear_gaussian_verdicts_do_not_depend_on_units(capsys):
    """eigenvalue 3e-6, decoder variance 5e-7 is the game with eigenvalue 3, variance 0.5 in units
    1000 times smaller. Was: a CONTINUUM, and solve CONVERGED at the collapsed saddle."""
    argv = ["--latent-dim", "1", "--encoder-var", "0.8", "--starts", "4"]
    small = _cli(capsys, ["verify", "linear-gaussian", "--eigenvalues", "3e-6", "--decoder-var", "5e-7", *argv])
    unit = _cli(capsys, ["verify", "linear-gaussian", "--eigenvalues", "3", "--decoder-var", "0.5", *argv])
    assert _lg_fingerprint(small) == _lg_fingerprint(unit)
    gain = 1 - np.sqrt(0.5 * 0.8 / 3.0)                       # the stable branch (proofs/linear_gaussian.md)
    assert _lg_fingerprint(small)[1] == [(0.0, "refuted", "refuted"), (round(gain, 6), "certified", "refuted")]
    assert small["verdicts"]["continuum"]["status"] != "certified" and not small["continuum"]
    assert small["verdicts"]["uniqueness"]["status"] == "refuted"
    solved = _cli(capsys, ["solve", "linear-gaussian", "--eigenvalues", "3e-6", "--latent-dim", "1",
                           "--decoder-var", "5e-7", "--encoder-var", "0.8"])
    assert solved["converged"] and solved["stable"]
    assert abs(solved["invariants"]["gain"][0] - gain) < 1e-6 and round(gain, 4) == 0.6349


# -- reproduction 3: a tabular joint with entries of order 1e-7 ---------------------------------------
def test_tabular_joint_with_tiny_entries_is_a_certified_stable_unique_equilibrium():
    """Was: a continuum whose class is not stable (every eigenvalue is strictly negative)."""
    rng = np.random.default_rng(0)
    t = rng.uniform(0.5, 2.0, (3, 3)) * 1e-7
    t[[0, 1, 2], [1, 2, 0]] = rng.dirichlet(np.ones(3))
    t /= t.sum()
    game = en.models.tabular(joint=t, alpha=0.3)
    eq = en.solve(game, seed=0)
    assert eq.converged and eq.stable and eq.verdicts["continuum"].status.value == "refuted"
    v = en.verify(game, starts=4, seed=0)
    assert v.unique and not v.continuum and len(v.classes) == 1 and v.classes[0].stable


# -- reproduction 4: a loose tolerance on an escaping run ----------------------------------------------
def test_loose_tolerance_on_an_escaping_bernoulli_run_is_never_converged(capsys):
    """Was: CONVERGED at |params| ~ 66 on a run whose parameters keep growing."""
    out = _cli(capsys, ["solve", "bernoulli", "--data", "random:6:0", "--latent-dim", "3", "--seed", "3",
                        "--tol", "1e-6"])
    s = _status(out)
    assert not out["converged"] and not out["stable"] and s["convergence"] != "certified"
    assert s["existence"] == "undecided" and s["escape"] in ("undecided", "certified")
    assert out["polish"]["accepted"] is False and out["polish"]["norm_end"] > 50
    assert out["enclosure_radius"] is None


# -- affine rescalings ------------------------------------------------------------------------------
def _lg_pair(lam, s, t, c, seed):
    """The linear-Gaussian game (k = 1, fixed variances) and the same game for data x' = c R x
    (decoder variance c^2 s), with the map of parameters: W' = c R W, b' = c R b, V' = V R^T / c."""
    d = lam.size
    R = np.linalg.qr(np.random.default_rng(seed).standard_normal((d, d)))[0]
    base = en.models.linear_gaussian(eigenvalues=list(lam), latent_dim=1, decoder_var=s, encoder_var=t)
    other = en.models.linear_gaussian(eigenvalues=list(lam * c * c), rotation=R, latent_dim=1, decoder_var=s * c * c,
                                      encoder_var=t)

    def move(p):
        phi = np.concatenate([p.phi[:, :d] @ R.T / c, p.phi[:, d:]], axis=1)
        return other.params(c * R @ p.theta, phi)
    return base, other, move


def _finite_pair(kind, c, rho, seed):
    """A finite game with every lift scaled (the feature tables psi, chi times c, so theta' = theta / c)
    and rho' = rho c^2: the same game in other units of the parameters."""
    rng = np.random.default_rng(seed)
    if kind == "tabular":
        P = rng.dirichlet(np.ones(9)).reshape(3, 3)
        xs, zs = np.arange(3.0)[:, None], np.arange(3.0)[:, None]
        data, prior = Finite(xs, P.sum(1)), Finite(zs, P.sum(0))
        fams, sup_x, sup_z, fx, fz = (Categorical(3), Categorical(3)), xs, zs, np.eye(3), np.eye(3)
        extra = dict(labelled=en.environment.FiniteJoint(xs, zs, P), alpha=0.2)
    else:
        X, Z = binary_support(3), binary_support(1)
        data, prior = Finite(X, rng.dirichlet(np.ones(8))), Finite(Z, np.full(2, 0.5))
        fams, sup_x, sup_z = (Bernoulli(3), Bernoulli(1)), X, Z
        fx, fz = np.column_stack([X, np.ones(8)]), np.column_stack([Z, np.ones(2)])
        extra = {}

    def game(scale):          # scale != 1: the constant column is not taken for an unpenalised bias
        return Game(Player(fams[0], Features(sup_z, 0.5 * scale * fz)), Player(fams[1], Features(sup_x, 0.5 * scale * fx)),
                    data, prior, rho=rho * scale * scale, **extra)
    base, other = game(1.0), game(c)
    return base, other, lambda p: other.params(p.theta / c, p.phi / c)


def _same_verdicts_in_other_units(kind: str, c: float, seed: int, starts: int) -> None:
    if kind == "linear-gaussian":
        rng = np.random.default_rng(seed)
        base, other, move = _lg_pair(np.sort(rng.uniform(0.2, 4.0, 2))[::-1], 0.5, 0.8, c, seed)
        key = "gain"
    else:
        base, other, move = _finite_pair(kind, c, 0.1, seed)
        key = "kernel"
    for s in range(starts):
        p0 = base.init(seed=seed + s, scale=2.0)
        a, b = en.solve(base, init=p0), en.solve(other, init=move(p0))
        sa = {k: v.status.value for k, v in a.verdicts.items()}
        assert sa == {k: v.status.value for k, v in b.verdicts.items()}, (a.summary(), b.summary())
        if a.converged:
            np.testing.assert_allclose(a.invariants[key], b.invariants[key], atol=1e-7)


@pytest.mark.parametrize("c", [1e-6, 1e6])
@pytest.mark.parametrize("kind", ["linear-gaussian", "tabular", "bernoulli"])
def test_the_extreme_unit_systems_give_the_same_verdicts(kind, c):
    """c = 1e-6 and 1e6, always (the property test below draws c at random)."""
    _same_verdicts_in_other_units(kind, c, seed=1, starts=1)


@settings(max_examples=4, deadline=None)
@given(st.sampled_from(["linear-gaussian", "tabular", "bernoulli"]), st.floats(-6, 6), st.integers(0, 10 ** 6))
def test_affine_rescalings_leave_every_verdict_unchanged(kind, log_c, seed):
    """The same game in other units (data x' = c R x for the linear-Gaussian pair, with k = 1 and
    fixed variances, where a change of units cannot change stability; lifts scaled by c for finite
    pairs, where it rescales time): solve from corresponding starts gives the same verdicts and the
    same unit-free invariants, for c in 1e-6 .. 1e6."""
    _same_verdicts_in_other_units(kind, float(10.0 ** log_c), seed, starts=1)


# -- every true boolean carries its certificate ------------------------------------------------------
@pytest.mark.parametrize("make", [lambda: en.models.bernoulli("random:6:0", latent_dim=3, rho=0.1),
                                  lambda: en.models.linear_gaussian(eigenvalues=[4.0, 2.5, 0.3], latent_dim=2),
                                  lambda: en.models.tabular("random:4:3:0")])
def test_every_converged_result_carries_an_enclosure_radius_and_its_json_says_so(make):
    game = make()
    for seed in range(2):
        res = en.solve(game, seed=seed)
        d = res.to_dict()
        assert res.converged, res.summary()
        assert d["converged"] and d["verdicts"]["convergence"]["status"] == "certified"
        assert 0 <= d["enclosure_radius"] < 1e-6 * (1 + res.params.norm())
        assert f"{res.enclosure_radius:.3g}" in res.summary()
        assert res.stable == (d["verdicts"]["stability"]["status"] == "certified")
        if res.stable:
            assert d["lyapunov_margin"] > 0


def test_certify_false_skips_the_certificates_and_says_so():
    game = en.models.bernoulli("random:6:0", latent_dim=3, rho=0.1)
    res = en.solve(game, seed=0, certify=False)
    assert not res.certified and not res.converged and not res.stable and not res.diverged
    assert all(v.status.value == "undecided" and "uncertified" in v.reason for v in res.verdicts.values())
    assert res.residual <= 1e-10 and res.options["certify"] is False
    with pytest.raises(ValueError, match="certify"):
        en.solve(game, certify="yes")


def test_reason_strings_are_true():
    """'step budget exhausted' only when the budget was used up."""
    game = en.models.tabular("random:3:3:0", alpha=1e-3)
    short = en.solve(game, seed=0, max_steps=300)
    assert "step budget exhausted (300 of 300 steps)" in short.reason
    early = en.solve(en.models.bernoulli("random:6:0", latent_dim=3), seed=3, tol=1e-6)
    assert early.iterations < 20000 and "step budget exhausted" not in early.reason
    assert f"after {early.iterations} of 20000 steps" in early.reason
    plain = en.solve(game, method="simultaneous", seed=0, max_steps=50)
    assert plain.reason.startswith("simultaneous iteration: step budget exhausted (50 of 50 steps)")


# -- step-size instability: the flow is stable, the iteration is not ---------------------------------
def test_flow_stable_iteration_unstable_is_a_refuted_step():
    """tabular random:3:3:0, alpha = 0.3, rho = 0.1: the flow is certified stable; simultaneous ascent
    with a step above the certified bracket of the largest stable step is certified unstable there,
    so the run cannot converge to the equilibrium (convergence refuted), below it it does."""
    game = en.models.tabular("random:3:3:0", alpha=0.3, rho=0.1)
    ref = en.solve(game, seed=0)
    bracket = max_stable_step(game, certificate=ref.certificate)
    assert bracket.bracket.holds and ref.stable
    above = en.solve(game, method="simultaneous", lr=1.1 * bracket.upper, seed=0, max_steps=2000)
    assert above.verdicts["step"].status.value == "refuted" and above.verdicts["stability"].holds
    assert above.verdicts["convergence"].status.value == "refuted" and not above.converged
    below = en.solve(game, method="simultaneous", lr=0.9 * bracket.lower, seed=0, max_steps=2000)
    assert below.verdicts["step"].holds and below.converged and below.stable
    assert "step" not in ref.verdicts                        # the adaptive flow has no fixed step
