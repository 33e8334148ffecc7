"""The linear models of seed 003 as network games (no biases, uncentred second moments, prior
N(0, eta_enc^2 I), decoders with variance eta_dec^2):

* VAE:  decoder p(x|z) = N(U z, eta_dec^2 I); encoder q(z|x) = N(W x, Sigma); prior on z.
* CVAE: decoder p(y|x, z) = N(U1 z + U2 x, eta_dec^2 I); encoder q(z|x, y) = N(W1 x + W2 y, Sigma);
  prior p(z|x) = N(0, eta_enc^2 I). The decoder learns on (x, y) ~ data, z ~ q; the encoder on
  x ~ data, z ~ prior, y ~ p (the observed x is a context of both phases).
* HVAE: decoder p(z1|z2) = N(U2 z2, eta_dec^2 I) and p(x|z1) = N(U1 z1, eta_dec^2 I); encoder
  q(z1|x) = N(W1 x, sigma1^2 I) and q(z2|z1) = N(W2 z1, Sigma2); prior p(z2) = N(0, eta_enc^2 I).

``encoder_var`` (VAE, CVAE) is a variance or None (learned diagonal); ``sigma1``, ``sigma2`` (HVAE)
are standard deviations, ``sigma2`` None for a learned diagonal Sigma2. The parent order of each
factor is the order of its mean map's column blocks: U = [U1 | U2] acts on (z, x), W = [W1 | W2]
on (x, y).
"""
from __future__ import annotations

import numpy as np

from ...core.validation import as_float_array, check_int, check_positive, shown
from .game import NetworkGame
from .spec import Factor, Network, Phase

__all__ = ["vae_network", "cvae_network", "hvae_network", "vae_game", "cvae_game", "hvae_game"]


def _square(value, name: str, dim: int | None = None) -> np.ndarray:
    m = as_float_array(value, name, ndim=2)
    if m.shape[0] != m.shape[1] or (dim is not None and m.shape[0] != dim):
        raise ValueError(f"{name}: expected a square matrix{'' if dim is None else f' of size {dim}'}, got {m.shape}")
    return m


def _variance(value, name: str) -> float | None:
    return None if value is None else check_positive(value, name)


def vae_network(cxx, latent_dim: int, eta_enc: float = 1.0, eta_dec: float = 1.0, encoder_var=None) -> Network:
    A = _square(cxx, "cxx")
    k = check_int(latent_dim, "latent_dim")
    e, s = _squared(eta_enc, "eta_enc"), _squared(eta_dec, "eta_dec")
    return Network((("x", A.shape[0]), ("z", k)),
                   (Factor("x", ("z",), s, "p(x|z)"),),
                   (Factor("z", ("x",), _variance(encoder_var, "encoder_var"), "q(z|x)"),),
                   wake=Phase(("x",), A), sleep=Phase(("z",), e * np.eye(k)), name=f"linear-vae(d={A.shape[0]}, k={k})")


def cvae_network(cxx, cxy, cyy, latent_dim: int, eta_enc: float = 1.0, eta_dec: float = 1.0,
                 encoder_var=None) -> Network:
    Cxx, Cyy = _square(cxx, "cxx"), _square(cyy, "cyy")
    dx, dy = Cxx.shape[0], Cyy.shape[0]
    Cxy = as_float_array(cxy, "cxy", shape=(dx, dy))
    k = check_int(latent_dim, "latent_dim")
    e, s = _squared(eta_enc, "eta_enc"), _squared(eta_dec, "eta_dec")
    joint = np.block([[Cxx, Cxy], [Cxy.T, Cyy]])
    sleep = np.block([[Cxx, np.zeros((dx, k))], [np.zeros((k, dx)), e * np.eye(k)]])
    return Network((("x", dx), ("y", dy), ("z", k)),
                   (Factor("y", ("z", "x"), s, "p(y|x,z)"),),
                   (Factor("z", ("x", "y"), _variance(encoder_var, "encoder_var"), "q(z|x,y)"),),
                   wake=Phase(("x", "y"), joint), sleep=Phase(("x", "z"), sleep),
                   name=f"linear-cvae(dx={dx}, dy={dy}, k={k})")


def _squared(std, name: str) -> float:
    """A standard deviation's square (the variance), refused when the square overflows float64."""
    value = check_positive(std, name)
    if not value < 1e150:
        raise ValueError(f"{name}: expected a standard deviation > 0 whose square is finite in float64, got {shown(std)}")
    return value * value


def hvae_network(cxx, latent_dims, sigma1: float = 1.0, sigma2=None, eta_enc: float = 1.0,
                 eta_dec: float = 1.0) -> Network:
    A = _square(cxx, "cxx")
    if not isinstance(latent_dims, (tuple, list)) or len(latent_dims) != 2:
        raise ValueError(f"latent_dims: expected a pair (d1, d2), got {shown(latent_dims)}")
    d1, d2 = check_int(latent_dims[0], "latent_dims[0]"), check_int(latent_dims[1], "latent_dims[1]")
    e, s = _squared(eta_enc, "eta_enc"), _squared(eta_dec, "eta_dec")
    s1 = _squared(sigma1, "sigma1")
    s2 = None if sigma2 is None else _squared(sigma2, "sigma2")
    return Network((("x", A.shape[0]), ("z1", d1), ("z2", d2)),
                   (Factor("x", ("z1",), s, "p(x|z1)"), Factor("z1", ("z2",), s, "p(z1|z2)")),
                   (Factor("z1", ("x",), s1, "q(z1|x)"), Factor("z2", ("z1",), s2, "q(z2|z1)")),
                   wake=Phase(("x",), A), sleep=Phase(("z2",), e * np.eye(d2)),
                   name=f"linear-hvae(d={A.shape[0]}, d1={d1}, d2={d2})")


def vae_game(cxx, latent_dim: int, eta_enc: float = 1.0, eta_dec: float = 1.0, encoder_var=None,
             rho: float = 0.0) -> NetworkGame:
    return NetworkGame(vae_network(cxx, latent_dim, eta_enc, eta_dec, encoder_var), rho)


def cvae_game(cxx, cxy, cyy, latent_dim: int, eta_enc: float = 1.0, eta_dec: float = 1.0, encoder_var=None,
              rho: float = 0.0) -> NetworkGame:
    return NetworkGame(cvae_network(cxx, cxy, cyy, latent_dim, eta_enc, eta_dec, encoder_var), rho)


def hvae_game(cxx, latent_dims, sigma1: float = 1.0, sigma2=None, eta_enc: float = 1.0, eta_dec: float = 1.0,
              rho: float = 0.0) -> NetworkGame:
    return NetworkGame(hvae_network(cxx, latent_dims, sigma1, sigma2, eta_enc, eta_dec), rho)
