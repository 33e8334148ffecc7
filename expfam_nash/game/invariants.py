"""What does not see the latent labelling: the orbit of the continuous latent symmetries at a
point (its tangent vectors) and the invariants by which equilibria are compared (THEORY.md
section 2, "Symmetries")."""
from __future__ import annotations

import numpy as np

from ..environment import Gaussian


def symmetry_tangents(game, p) -> np.ndarray:
    """Tangent vectors (columns, flat layout) of the orbit of ``p`` under the continuous latent
    symmetries. Rotations z -> R z are symmetries when the prior is N(0, c I), both lifts are
    affine, no labelled pairs fix the labelling, and the encoder's family is rotation-symmetric
    (its ``rotation_variances`` hook); only rotations mixing latent units of equal noise variance
    act (a learned diagonal variance). Discrete symmetries contribute no tangents."""
    k = game.encoder.family.dim
    none = np.zeros((game.layout.size, 0))
    if not (isinstance(game.prior, Gaussian) and game.decoder.lift.affine and game.encoder.lift.affine
            and k > 1):
        return none
    prior_mean, prior_cov = game.prior.moments()
    if np.any(prior_mean != 0) or not np.allclose(prior_cov, prior_cov[0, 0] * np.eye(k)) or game.alpha > 0:
        return none
    var = game.encoder.family.rotation_variances(p.phi)
    if var is None:
        return none
    cols = []
    for a in range(k):
        for b in range(a + 1, k):
            if not np.isclose(var[a], var[b], rtol=1e-9):
                continue
            omega = np.zeros((k, k))
            omega[a, b], omega[b, a] = -1.0, 1.0
            dth = np.zeros_like(p.theta)
            dth[:, :k] = -p.theta[:, :k] @ omega      # theta psi(R^T z): columns rotate
            dph = np.zeros_like(p.phi)
            dph[:k] = omega @ p.phi[:k]               # encoder mean rotates with z
            cols.append(game.layout.flatten(dth * game.decoder.mask, dph * game.encoder.mask))
    return np.array(cols).T if cols else none


def invariants(game, p) -> dict:
    """Quantities that do not see the latent labelling.

    Finite pairs: ``kernel`` K(x'|x) = sum_z q(z|x) p(x'|z) on the data support and
    ``decoder_marginal`` sum_z pi(z) p(x|z) on the data support.
    Gaussian pairs (decoder x = W z + b + N(0, S), encoder z = V x + c + N(0, T)): ``gain``, the
    eigenvalues (real parts, descending) of the reconstruction mean map x -> E[x'|x] =
    W (V x + c) + b; the map itself, ``mean_map`` W V and ``mean_offset`` W c + b;
    ``reconstruction_cov`` W T W^T + S; and the decoder's data marginal ``marginal_mean``
    W m + b, ``marginal_cov`` W C W^T + S for the prior N(m, C). A rotation of z changes W, V
    and c but none of these.
    """
    game.need_engine()
    finite = game.finite_support
    if finite is not None:
        rows = finite.data_rows()
        decoder_rows = finite.decoder_table(p.theta)[rows]                  # p(x|z) on the data rows
        return {"kernel": finite.encoder_table(p.phi, rows) @ decoder_rows.T,
                "decoder_marginal": decoder_rows @ finite.prior_on_support()}
    dec, enc = game.decoder.family, game.encoder.family
    d, k = dec.dim, enc.dim
    gw, gv = dec.location_coefficients(p.theta), enc.location_coefficients(p.phi)
    w, b, v, c = gw[:, :k], gw[:, k], gv[:, :d], gv[:, d]
    s_var, t_var = dec.noise_variances(p.theta), enc.noise_variances(p.phi)
    prior_mean, prior_cov = game.prior.moments()
    return {"gain": np.sort(np.linalg.eigvals(w @ v).real)[::-1], "mean_map": w @ v, "mean_offset": w @ c + b,
            "reconstruction_cov": (w * t_var) @ w.T + np.diag(s_var),
            "marginal_mean": w @ prior_mean + b, "marginal_cov": w @ prior_cov @ w.T + np.diag(s_var)}
