"""The collapse API: bad input is a one-line ValueError naming the argument, before any work; results
are JSON-ready and reproducible; the symmetric objective is reserved."""
from __future__ import annotations

import json

import numpy as np
import pytest

from expfam_nash import collapse

A = np.diag([2.0, 0.5, 0.1])
C = np.eye(4)


@pytest.mark.parametrize("call, arg", [
    (lambda: collapse.vae(np.array([[1.0, 0.2], [0.0, 1.0]]), 1), "cxx"),          # not symmetric
    (lambda: collapse.vae(np.diag([1.0, -0.5]), 1), "cxx"),                          # not PSD
    (lambda: collapse.vae(np.array([[np.nan, 0], [0, 1.0]]), 1), "cxx"),             # NaN
    (lambda: collapse.vae(np.ones((2, 3)), 1), "cxx"),                               # not square
    (lambda: collapse.vae(A, 0), "latent_dim"),
    (lambda: collapse.vae(A, 2, beta=0.0), "beta"),
    (lambda: collapse.vae(A, 2, eta_enc=-1.0), "eta_enc"),
    (lambda: collapse.vae(A, 2, eta_dec=float("nan")), "eta_dec"),
    (lambda: collapse.vae(A, 2, encoder_var=0.0), "encoder_var"),
    (lambda: collapse.vae(A, 2, encoder_var="fixed"), "encoder_var"),
    (lambda: collapse.cvae(C[:2, :2], C[:2, 2:3], C[2:, 2:], 1), "cxy"),              # shapes do not match
    (lambda: collapse.cvae(C[:2, :2], 2 * np.ones((2, 2)), C[2:, 2:], 1), "cxy"),     # joint not PSD
    (lambda: collapse.cvae(C[:2, :2], latent_dim=1), "cxy"),                          # cxy, cyy missing
    (lambda: collapse.cvae(collapse.samples(np.ones((3, 2))), latent_dim=1), "cxx"),  # samples without y
    (lambda: collapse.hvae(A, (2,)), "latent_dims"),
    (lambda: collapse.hvae(A, (2, 0)), "latent_dims"),
    (lambda: collapse.hvae(A, (2, 2), sigma1=0.0), "sigma1"),
    (lambda: collapse.hvae(A, (2, 2), sigma2=-0.5), "sigma2"),
    (lambda: collapse.hvae(A, (2, 2), beta2=-1.0), "beta2"),
    (lambda: collapse.samples(np.ones((3, 2)), np.ones((4, 2))), "y"),
    (lambda: collapse.vae(A, 2, starts=-1), "starts"),
    (lambda: collapse.vae(A, 2, objective="game"), "objective"),
])
def test_bad_input_is_one_line_naming_the_argument(call, arg):
    with pytest.raises(ValueError) as err:
        call()
    msg = str(err.value)
    assert msg.startswith(f"{arg}") and "\n" not in msg, msg


def test_the_objective_is_elbo_or_symmetric():
    with pytest.raises(ValueError, match="objective: expected one of elbo, symmetric"):
        collapse.cvae(C[:2, :2], C[:2, 2:], C[2:, 2:], 1, objective="nash")
    assert collapse.cvae(C[:2, :2], C[:2, 2:], C[2:, 2:], 1, objective="symmetric", starts=0).objective == "symmetric"


def test_api_fields_and_json():
    r = collapse.hvae(A, latent_dims=(2, 2), sigma1=0.5, sigma2="learned", beta1=1.0, beta2=2.0, eta_enc=0.5,
                      eta_dec=0.5, starts=2)
    assert r.objective == "elbo" and r.model == "hvae"
    u1, u2 = r.theory.decoder_singular_values
    assert u1.shape == (2,) and u2.shape == (2,) and r.theory.encoder_std.shape == (2,)
    assert isinstance(r.theory.collapsed, tuple) and len(r.optimum.collapsed) == 2
    d = json.loads(json.dumps(r.to_dict(), allow_nan=False))
    assert {"theory", "optimum", "trained", "verdicts", "global_minimum", "settings", "data"} <= set(d)
    assert len(d["verdicts"]) == 2 and d["trained"] is None
    assert "HVAE" in r.summary() and "global minimum" in r.summary()


def test_samples_and_moments_give_the_same_result():
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((200, 2)), rng.standard_normal((200, 3))
    a = collapse.cvae(collapse.samples(x, y), latent_dim=2, starts=0)
    b = collapse.cvae(x.T @ x / 200, x.T @ y / 200, y.T @ y / 200, latent_dim=2, starts=0)
    np.testing.assert_allclose(a.theory.decoder_singular_values, b.theory.decoder_singular_values, rtol=1e-10)


def test_same_seed_same_bytes():
    a = collapse.vae(A, 2, starts=3, seed=4).to_dict()
    b = collapse.vae(A, 2, starts=3, seed=4).to_dict()
    assert json.dumps(a) == json.dumps(b)


def test_no_optimum_leaves_the_global_minimum_undecided():
    r = collapse.vae(A, 2, starts=0)
    assert r.optimum is None and r.global_minimum.status.value == "undecided"
    assert [v.status.value for v in r.verdicts[0]] == ["refuted", "certified"]     # 2 > 1 active, 0.5 <= 1 collapsed


def test_global_minimum_verdict_logic():
    from expfam_nash.collapse.theory import vae_theory
    from expfam_nash.collapse.verdicts import global_minimum_verdict

    th = vae_theory([2.0], 1, 1.0, 1.0, 1.0)
    ok = {"loss_error": 0.0, "singular_value_error": [0.0]}
    assert global_minimum_verdict(th, np.array([th.loss, th.loss + 1]), ok).status.value == "certified"
    below = np.array([th.loss - 1e-6 * abs(th.loss), th.loss])
    assert global_minimum_verdict(th, below, ok).status.value == "refuted"          # a start beat the closed form
    short = {"loss_error": 1e-6, "singular_value_error": [0.0]}
    assert global_minimum_verdict(th, np.array([th.loss + 1e-6]), short).status.value == "undecided"
    flat = {"loss_error": 0.0, "singular_value_error": [1e-3]}
    assert global_minimum_verdict(th, np.array([th.loss]), flat).status.value == "undecided"
