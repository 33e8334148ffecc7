"""The fused finite-game kernels: the compiled Jacobian against the blocked NumPy path on generated
games, and the compiled flow against the step it iterates."""
import numpy as np
from hypothesis import given
from strategies import finite_games

from expfam_nash import models
from expfam_nash.certify.enclosure import Enclosure
from expfam_nash.kernels import finite_game


def _blocked_jacobian(game, params):
    return game.engine._jacobian_blocked(params.theta, params.phi)


@given(finite_games(max_x=4, max_z=3))
def test_fused_jacobian_matches_blocked_path(case):
    """Families, lifts, labelled weight alpha, rho and masks as generated; a sum of L terms differs
    by at most ~L ulp of the sum of |terms|, so the tolerance is relative to the largest entry."""
    game, params = case
    if not game.engine.fused:
        return
    fused = game.engine.jacobian(params.theta, params.phi)
    ref = _blocked_jacobian(game, params)
    assert fused.shape == ref.shape == (game.layout.size, game.layout.size)
    np.testing.assert_allclose(fused, ref, rtol=1e-12, atol=1e-13 * np.abs(ref).max())


def test_fused_jacobian_inside_arb_enclosure_at_a_saturated_point():
    """At |eta| ~ 40 (probabilities within e^-40 of 0 or 1) the fused Jacobian stays within a few ulp
    of the largest entry of python-flint's rigorous enclosure of J at the same point."""
    game = models.bernoulli(data="random:4:1", latent_dim=2, rho=0.0)
    params = game.init(seed=3, scale=40.0)
    vec = game.flatten(params)
    exact = Enclosure(game, "arb").jacobian(vec, np.zeros_like(vec))
    fused = game.engine.jacobian(params.theta, params.phi)
    assert np.abs(fused - exact.mid).max() <= exact.rad.max() + 8 * 2.0 ** -52 * np.abs(exact.mid).max()


def test_compiled_flow_is_the_iterated_step():
    """simultaneous_ascent = repeated evaluate + step, to the last bit (one compiled code path)."""
    game = models.bernoulli(data="random:5:0", latent_dim=3, rho=0.05)
    eng = game.engine
    args = eng._fused_args
    p = game.init(seed=4)
    mp, mq = game.decoder.mask.astype(float), game.encoder.mask.astype(float)
    th, ph, res, norm, utils, steps = finite_game.simultaneous_ascent(
        *args[:2], p.theta.copy(), p.phi.copy(), *args[2:], mp, mq, 0.3, 25, 0.0)
    theta, phi = p.theta.copy(), p.phi.copy()
    for t in range(steps + 1):
        lp, lq, gp, gq, _, _ = finite_game.evaluate(*args[:2], theta, phi, *args[2:])
        gp, gq = gp * mp, gq * mq
        assert res[t] == np.sqrt(np.sum(gp * gp) + np.sum(gq * gq)) or \
            abs(res[t] - np.sqrt(np.sum(gp * gp) + np.sum(gq * gq))) <= 4e-16 * res[t]
        assert (utils[t, 0], utils[t, 1]) == (lp, lq)
        if t < steps:
            theta, phi = theta + 0.3 * gp, phi + 0.3 * gq
    np.testing.assert_array_equal(th, theta)
    np.testing.assert_array_equal(ph, phi)
