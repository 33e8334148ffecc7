"""verify: verdicts against closed forms and on games built to have a given equilibrium structure;
the symmetry action; the JSON of the CLI."""
import json

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import expfam_nash as en
from expfam_nash.cli.main import main
from expfam_nash.verification import act, latent_symmetries, orbit_dimension, verify


@pytest.mark.parametrize("lam,s,t", [(0.3, 0.5, 0.8), (3.0, 0.5, 0.8), (1.0, 2.0, 0.4), (1.0, 0.3, 0.3)])
def test_one_direction_linear_gaussian_verdict_follows_the_threshold(lam, s, t):
    """lam < s t: the collapsed point is the unique, stable equilibrium. lam > s t: it is a saddle and
    the stable class has reconstruction gain w v = w^2 / (w^2 + s), w^2 = sqrt(s lam / t) - s."""
    game = en.models.linear_gaussian(eigenvalues=[lam], latent_dim=1, decoder_var=s, encoder_var=t)
    v = verify(game, starts=6, seed=1)
    collapsed = [c for c in v.classes if c.collapsed]
    assert len(collapsed) == 1
    if lam < s * t:
        assert v.unique and collapsed[0].representative.stable
    else:
        assert not v.unique and not collapsed[0].representative.stable
        stable = [c for c in v.classes if c.representative.stable]
        assert len(stable) == 1
        w2 = np.sqrt(s * lam / t) - s
        np.testing.assert_allclose(stable[0].representative.invariants["gain"][0], w2 / (w2 + s), rtol=1e-8)


def test_two_directions_give_a_stable_class_and_saddles():
    """k = 1, eigenvalues 3 and 1 (both above s t = 0.4): the latent can align with either direction;
    only the top one is stable."""
    game = en.models.linear_gaussian(eigenvalues=[3.0, 1.0], latent_dim=1, decoder_var=0.5, encoder_var=0.8)
    v = verify(game, starts=24, seed=0)
    gains = sorted((round(float(c.representative.invariants["gain"][0]), 6), c.representative.stable)
                   for c in v.classes)
    w2 = lambda lam: np.sqrt(0.5 * lam / 0.8) - 0.5
    expected = [(0.0, False), (round(w2(1.0) / (w2(1.0) + 0.5), 6), False), (round(w2(3.0) / (w2(3.0) + 0.5), 6), True)]
    assert gains == expected


def test_unique_verdict_for_a_rosen_certified_game():
    game = en.models.tabular("random:3:2:5", l2=2.5)
    v = verify(game, starts=8, seed=0)
    assert v.certificate.holds and v.unique and v.classes[0].representative.stable
    assert v.classes[0].count == 8


@given(st.integers(0, 1000), st.sampled_from(["bars:2", "random:3:1"]), st.integers(1, 3))
def test_symmetry_action_preserves_utilities_and_invariants(seed, data, k):
    game = en.models.bernoulli(data, latent_dim=k, l2=0.2)
    group = latent_symmetries(game)
    assert group.order == 2 ** k * int(np.prod(range(1, k + 1)))    # flips and permutations: uniform prior
    p = game.init(seed=seed, scale=2.0)
    for perm in group.generators:
        q = act(game, p, perm)
        np.testing.assert_allclose(game.utilities(q), game.utilities(p), rtol=1e-12, atol=1e-12)
        for key in ("kernel", "decoder_marginal"):
            np.testing.assert_allclose(game.invariants(q)[key], game.invariants(p)[key], atol=1e-12)
    # equilibria map to equilibria with the same Jacobian spectrum (the action is linear, A, so
    # J' = A J A^-1; the Euclidean residual itself is not invariant, gradients transform by A^-T)
    eq = en.solve(game, seed=seed)
    assert eq.converged
    for perm in group.generators:
        q = act(game, eq.params, perm)
        assert game.residual(q) <= 1e-9
        ev_p, ev_q = eq.jacobian_eigenvalues, np.linalg.eigvals(game.jacobian(q))
        dist = np.abs(ev_p[:, None] - ev_q[None, :])
        assert dist.min(0).max() <= 1e-7 and dist.min(1).max() <= 1e-7


def test_symmetries_respect_the_prior():
    from expfam_nash.environment import Finite
    from expfam_nash.families import binary_support

    prior = Finite(binary_support(2), np.array([0.4, 0.1, 0.1, 0.4]))   # symmetric under swap and joint flip
    game = en.models.bernoulli("bars:2", latent_dim=2, prior=prior)
    group = latent_symmetries(game)
    assert group.generator_names == ("swap z0<->z1",)
    assert group.order == 2


def test_orbit_dimension_of_rotations():
    game = en.models.linear_gaussian(eigenvalues=[3.0, 2.0, 1.0], latent_dim=3, decoder_var=0.5, encoder_var=0.8)
    eq = en.solve(game, seed=0)
    assert orbit_dimension(game, eq.params) == 3 and eq.orbit_dimension == 3
    assert eq.neutral_directions == 3 and eq.stable


def test_cli_verify_json(capsys):
    assert main(["verify", "tabular", "--joint", "random:3:3:0", "--starts", "6", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    for key in ("unique", "continuum", "escaped", "certificate", "classes"):
        assert key in out
    assert out["continuum"] and not out["unique"]
    for c in out["classes"]:
        for key in ("count", "stable", "collapsed", "residual", "nash_gap", "jacobian_eigenvalues",
                    "neutral_directions", "orbit_dimension", "invariants"):
            assert key in c
        assert set(c["invariants"]) >= {"kernel", "decoder_marginal"}


def test_cli_claims_and_bad_verify_input(capsys):
    assert main(["claims", "--json"]) == 0
    claims = json.loads(capsys.readouterr().out)
    assert [c["claim"] for c in claims] == list(range(1, 17))     # 1-8: THEORY.md; 9-16: seed 003 (13-16: the game)
    assert main(["verify", "--starts", "1", "tabular"]) == 2
    assert "starts" in capsys.readouterr().err


@pytest.mark.parametrize("lam,kw", [
    (3.0, dict(s=0.5, t=0.8)), (0.3, dict(s=0.5, t=0.8)),
    (2.0, dict(t=0.5, decoder_learned=True)), (2.0, dict(t=1.5, decoder_learned=True)),
    (2.0, dict(s=0.5, encoder_learned=True)), (0.4, dict(s=0.5, encoder_learned=True)),
])
def test_verify_matches_the_symbolic_branches(lam, kw):
    """The classes verify finds are the closed-form branches of proofs/linear_gaussian (one eigen-direction):
    same reconstruction gains, same stability verdicts, collapsed exactly where the gain is 0."""
    from expfam_nash.symbolic import linear_gaussian_branches

    branches = linear_gaussian_branches(lam, **kw)
    expected = sorted({(round(b.gain, 6), bool(b.stable)) for b in branches})
    game = en.models.linear_gaussian(eigenvalues=[lam], latent_dim=1,
                                     decoder_var="learned" if kw.get("decoder_learned") else kw["s"],
                                     encoder_var="learned" if kw.get("encoder_learned") else kw["t"])
    v = verify(game, starts=8, seed=0)
    found = sorted((round(float(c.representative.invariants["gain"][0]), 6), c.representative.stable)
                   for c in v.classes)
    assert found == expected
    for c in v.classes:
        assert c.collapsed == (abs(c.representative.invariants["gain"][0]) < 1e-9)
