"""Enclosures of g and J: every method contains the exact values (arb midpoints), agrees with
the floating-point engine, encloses J at every point of a box, and matches finite differences."""
import numpy as np
import pytest
from hypothesis import given, settings  # noqa: F401
from hypothesis import strategies as st

pytest.importorskip("flint")

import expfam_nash as en  # noqa: E402
from expfam_nash.certify.enclosure import Enclosure  # noqa: E402

from strategies import finite_games  # noqa: E402

METHODS = ("ball", "ball-numpy", "arb")


def _close(ball, value, scale):
    """|value - mid| <= rad + a few ulps of the engine's own rounding (value is a float result)."""
    return np.all(np.abs(value - ball.mid) <= ball.rad + 64 * np.finfo(float).eps * scale)


def _check(game, params, radius: float = 0.0):
    v = game.flatten(params)
    g_float = game.flat_gradient(v)
    J_float = np.array(game.jacobian(params))
    scale_g = max(1.0, float(np.abs(g_float).max()))
    scale_J = np.abs(J_float).max() + 1.0
    encl = {m: Enclosure(game, m) for m in METHODS}
    ref_g = encl["arb"].gradient(v)
    ref_J = encl["arb"].jacobian(v, np.full(v.size, radius))
    for m, E in encl.items():
        g, J = E.gradient(v), E.jacobian(v, np.full(v.size, radius))
        assert g.contains(ref_g.mid).all(), m                       # contains the exact value (arb)
        assert J.contains(ref_J.mid).all(), m
        assert _close(g, g_float, scale_g), m                       # the float engine agrees
        assert _close(J, J_float, scale_J), m


@given(finite_games(max_x=3, max_z=2))
def test_finite_enclosures_contain_the_exact_values(case):
    game, params = case
    _check(game, params)


@pytest.mark.parametrize("dec,enc,alpha,rho", [(0.5, 0.8, 0.0, 0.0), ("learned", 0.8, 0.0, 0.1),
                                               ("learned", "learned", 0.3, 0.0), (0.7, "learned", 0.0, 0.2)])
def test_linear_gaussian_enclosures_contain_the_exact_values(dec, enc, alpha, rho):
    lab = None
    if alpha > 0:
        lab = (np.zeros(3), np.array([[2.0, 0.3, 0.5], [0.3, 1.0, 0.2], [0.5, 0.2, 1.0]]))
    game = en.models.linear_gaussian(eigenvalues=[2.0, 0.7], latent_dim=1, decoder_var=dec, encoder_var=enc,
                                     l2=rho, labeled_weight=alpha, labeled=lab, data_mean=[0.3, -0.2])
    _check(game, game.init(seed=3))


def test_box_enclosure_contains_the_jacobian_everywhere_in_the_box():
    game = en.models.bernoulli(data="random:4:1", latent_dim=2, l2=0.05, labeled_weight=0.0)
    v = game.flatten(game.init(seed=1, scale=2.0))
    r = 1e-3 * (1.0 + np.abs(v))
    rng = np.random.default_rng(0)
    for method in ("ball", "ball-numpy"):
        J = Enclosure(game, method).jacobian(v, r)
        for _ in range(20):
            u = v + r * rng.uniform(-1, 1, v.size)
            Ju = np.array(game.jacobian(game.unflatten(u)))
            assert _close(J, Ju, np.abs(Ju).max() + 1.0), method


@settings(max_examples=6)
@given(st.integers(0, 10_000))
def test_forward_derivative_matches_central_differences(seed):
    """The linear-Gaussian J comes from forward differentiation of g: check it against
    central differences of the float engine's gradient (learned variances: rational in beta)."""
    game = en.models.linear_gaussian(eigenvalues=[1.5, 0.4], latent_dim=2, decoder_var="learned",
                                     encoder_var="learned", l2=0.1)
    v = game.flatten(game.init(seed=seed))
    J = Enclosure(game, "ball").jacobian(v).mid
    h = 1e-6 * (1.0 + np.abs(v))
    fd = np.column_stack([(game.flat_gradient(v + h[i] * e) - game.flat_gradient(v - h[i] * e)) / (2 * h[i])
                          for i, e in enumerate(np.eye(v.size))])
    assert np.allclose(J, fd, rtol=1e-5, atol=1e-6 * np.abs(J).max())
