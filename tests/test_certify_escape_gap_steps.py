"""certify_escape, independent_nash_gap and max_stable_step."""
import numpy as np
import pytest

pytest.importorskip("flint")

import expfam_nash as en  # noqa: E402
from expfam_nash.certify import (certify_equilibrium, certify_escape, independent_nash_gap,  # noqa: E402
                                 max_stable_step)
from expfam_nash.certify.escape import verify_recession  # noqa: E402


def test_constant_pixel_is_a_certified_escape_for_every_encoder():
    data = np.array([[0, 1, 0], [1, 1, 0], [1, 1, 1], [0, 1, 1]], float)   # pixel 1 always on
    game = en.models.bernoulli(data=data, latent_dim=2)
    cert = certify_escape(game)
    assert cert.escape.status.value == "certified" and cert.player == "decoder" and cert.diverged
    D = cert.direction
    assert np.all(D[[0, 2]] == 0) and np.all(D[1] > 0)                    # only pixel 1's row, pointing up
    # with an L2 penalty only the (unpenalised) bias may escape: still certified
    assert certify_escape(en.models.bernoulli(data=data, latent_dim=2, l2=0.5)).diverged


def test_recession_verification_rejects_a_wrong_direction():
    y = np.array([[1.0, 0.0], [1.0, 1.0]])
    feats = np.array([[1.0, 1.0], [0.0, 1.0]])
    free = np.ones((2, 2), dtype=bool)
    good = np.array([[0.0, 1.0], [0.0, 0.0]])                             # bit 0 always on: push its bias up
    assert verify_recession("bernoulli", y, feats, free, good)[1]
    assert not verify_recession("bernoulli", y, feats, free, -good)[1]
    assert not verify_recession("bernoulli", y, feats, free, np.array([[0.0, 0.0], [0.0, 1.0]]))[1]
    assert not verify_recession("bernoulli", y, feats, free, np.zeros((2, 2)))[1]   # no strict gap


def test_escape_is_refuted_inside_a_certified_basin():
    game = en.models.bernoulli(data="random:5:0", latent_dim=2, l2=0.1)
    eq = en.solve(game, seed=0).params
    v = game.flatten(eq)
    near = game.unflatten(v + 1e-9 * np.random.default_rng(0).standard_normal(v.size))
    cert = certify_escape(game, near)
    assert cert.escape.status.value == "refuted" and not cert.diverged


def test_nash_gap_bound_holds_and_is_tight_for_a_quadratic_player():
    """Fixed-variance linear-Gaussian players are quadratic: the decoder's exact gap is
    g^T (-H)^-1 g / 2, which equals |g|^2 / (2 mu) along H's weakest direction. The certified
    bound must lie above the exact gap there (a bound half as large would not)."""
    game = en.models.linear_gaussian(eigenvalues=[3.0, 1.0], latent_dim=1, decoder_var=0.5, encoder_var=0.8)
    eq = game.flatten(en.solve(game, seed=0).params)
    n_p = game.layout.n_theta
    H = np.array(game.jacobian(game.unflatten(eq)))[:n_p, :n_p]
    lam, vec = np.linalg.eigh(-H)
    v = eq.copy()
    v[:n_p] += 0.3 * vec[:, 0]                                            # along the weakest curvature
    p = game.unflatten(v)
    g = game.flat_gradient(v)[:n_p]
    exact_gap = 0.5 * g @ np.linalg.solve(-H, g)
    cert = independent_nash_gap(game, p)
    assert cert.gap.holds
    dec = cert.per_player["decoder"]
    assert exact_gap <= dec["bound"] <= exact_gap * 1.02 + 1e-15
    assert cert.independent >= exact_gap * (1 - 1e-6)                     # best responses from other starts
    assert independent_nash_gap(game, game.unflatten(eq)).bound < 1e-20


def test_nash_gap_on_a_finite_game_is_certified_and_independent():
    game = en.models.bernoulli(data="random:4:2", latent_dim=2, l2=0.2)
    eq = game.flatten(en.solve(game, seed=0).params)
    cert = independent_nash_gap(game, game.unflatten(eq + 0.2))
    br = game.best_responses(game.unflatten(eq + 0.2))
    assert cert.gap.holds and br.nash_gap <= cert.bound
    assert abs(cert.independent - br.nash_gap) <= 1e-8 * (1 + br.nash_gap)


def test_step_size_instability_flow_stable_iteration_unstable():
    """The flow is certified stable, yet the iteration v <- v + lr g(v) is certified unstable for
    lr above the certified bracket of the largest stable step (and stable below it)."""
    game = en.models.linear_gaussian(eigenvalues=[3.0, 1.0], latent_dim=1, decoder_var=0.5, encoder_var=0.8)
    params = en.solve(game, seed=0).params
    cert = certify_equilibrium(game, params)
    assert cert.stability.holds
    steps = max_stable_step(game, certificate=cert)
    assert steps.bracket.holds and steps.lower < steps.estimate < steps.upper
    assert steps.upper / steps.lower < 1 + 1e-3
    big, small = 1.05 * steps.upper, 0.95 * steps.lower
    assert steps.verdict(big).status.value == "refuted" and steps.verdict(small).holds
    v0 = game.flatten(game.unflatten(cert.center))
    rng = np.random.default_rng(0)
    for lr, grows in ((big, True), (small, False)):
        v = v0 + 1e-6 * rng.standard_normal(v0.size)
        start = np.linalg.norm(v - v0)
        for _ in range(400):
            v = v + lr * game.flat_gradient(v)
            if np.linalg.norm(v - v0) > 1e3 * start:
                break
        assert (np.linalg.norm(v - v0) > 10 * start) == grows
