"""The compiled linear-Gaussian engine (kernels/linear_gaussian.py) against its NumPy reference
(``LinearGaussianEngine(compiled=False)``) on generated games: fixed and learned variances, both
players, labelled weight alpha, L2 weight rho, dimensions up to d = 8."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from test_linear_gaussian_engine import VAR_MODES, setup

# sums of at most ~(d + 1)^2 products of moderate numbers: a few hundred ulp of the largest entry
RTOL = 1e-12


def _both(eng, method, theta, phi):
    eng.compiled = True
    fast = getattr(eng, method)(theta, phi)
    eng.compiled = False
    ref = getattr(eng, method)(theta, phi)
    eng.compiled = True
    return fast, ref


def _close(fast, ref):
    fast, ref = np.asarray(fast, dtype=float), np.asarray(ref, dtype=float)
    assert fast.shape == ref.shape
    scale = max(float(np.abs(ref).max(initial=0.0)), 1e-300)
    assert np.abs(fast - ref).max(initial=0.0) <= RTOL * scale


@pytest.mark.parametrize("s, t", VAR_MODES)
@settings(deadline=None, derandomize=True, max_examples=25)
@given(seed=st.integers(0, 2 ** 32 - 1), d=st.integers(1, 8), k=st.integers(1, 4),
       alpha=st.sampled_from([0.0, 0.4, 1.0]), rho=st.sampled_from([0.0, 0.7]))
def test_compiled_engine_matches_numpy_reference(s, t, seed, d, k, alpha, rho):
    eng, theta, phi = setup(seed, d, k, s, t, alpha, rho)
    fast, ref = _both(eng, "evaluate", theta, phi)
    for a, b in zip(fast, ref):
        _close(a, b)
    for method in ("jacobian", "own_hessians"):
        fast, ref = _both(eng, method, theta, phi)
        for a, b in zip(fast if method == "own_hessians" else [fast], ref if method == "own_hessians" else [ref]):
            _close(a, b)
    for player in ("decoder", "encoder"):
        eng.compiled = True
        fast = eng.player_objective(theta, phi, player)
        eng.compiled = False
        ref = eng.player_objective(theta, phi, player)
        for a, b in zip(fast, ref):
            _close(a, b)


@pytest.mark.parametrize("bad, message", [("nan", "NaN or inf"), ("offmask", "structurally zero"),
                                          ("positive", "must be < 0")])
def test_compiled_engine_rejects_what_the_reference_rejects(bad, message):
    eng, theta, phi = setup(0, 2, 1, None, None, 0.0, 0.0)
    theta = theta.copy()
    if bad == "nan":
        theta[0, 0] = np.nan
    elif bad == "offmask":
        theta[2, 0] = 1.0
    else:
        theta[2, -1] = 0.5
    for compiled in (True, False):
        eng.compiled = compiled
        with pytest.raises(ValueError, match=message):
            eng.evaluate(theta, phi)
        assert not eng.in_domain(theta, phi)
