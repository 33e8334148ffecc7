"""The exact Bernoulli-pair gradient in JAX (jit, float64): the peer of ``exact_gradient``.

Game: ``models.bernoulli(data="random:12:0:1024", latent_dim=8)`` (d = 12, k = 8, 1024 data
points, |X| |Z| = 2^20 pairs). The JAX function is the straightforward algorithm of
``exact_gradient.numpy_gradient`` (THEORY.md section 2 term by term, the pair weights
materialised as one |X| x |Z| table, ``exp`` of the log-probabilities, matrix products), compiled
once by ``jax.jit``; JAX is benchmark-only (``pip install jax jaxlib``), and without it the
benchmark reports a one-line skip. "One thread" also limits XLA to one thread
(``--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1``).
"""
from __future__ import annotations

import os

import numpy as np

from ._common import fresh, timed, worker_thread_info

SPEC = {"d": 12, "k": 8, "n": 1024, "seed": 0}


def _tables(game):
    from .exact_gradient import _support_weights

    dec, enc = game.decoder, game.encoder
    fx, fz = dec.family, enc.family
    X, Z, D = fx.support(), fz.support(), game.data.points
    with np.errstate(divide="ignore"):
        logpi_Z = np.log(_support_weights(Z, game.prior.points, game.prior.weights))
    return dict(T_X=fx.sufficient_statistics(X), chi_X=enc.lift(X), S_Z=fz.sufficient_statistics(Z),
                psi_Z=dec.lift(Z), T_D=fx.sufficient_statistics(D), chi_D=enc.lift(D), pi_D=game.data.weights,
                logpi_Z=logpi_Z, pen_p=dec.penalty_mask.astype(float), pen_q=enc.penalty_mask.astype(float),
                mask_p=dec.mask.astype(float), mask_q=enc.mask.astype(float))


def jax_gradient(game):
    """A jitted (theta, phi) -> (grad_theta, grad_phi) of ``game`` (Bernoulli pair, affine lifts,
    alpha = 0)."""
    import jax
    import jax.numpy as jnp

    jax.config.update("jax_enable_x64", True)
    t = {k: jnp.asarray(v) for k, v in _tables(game).items()}
    rho = float(game.rho)
    feat_Z = jnp.column_stack([t["S_Z"], jnp.ones(t["S_Z"].shape[0])])
    feat_D = jnp.column_stack([t["T_D"], jnp.ones(t["T_D"].shape[0])])

    def grad(theta, phi):
        e_z = t["psi_Z"] @ theta.T
        a_z, mu_z = jax.nn.softplus(e_z).sum(1), jax.nn.sigmoid(e_z)
        e_d = t["chi_D"] @ phi.T
        w = t["pi_D"][:, None] * jnp.exp(e_d @ t["S_Z"].T - jax.nn.softplus(e_d).sum(1)[:, None])
        cw = w.T @ feat_D
        gp = (cw[:, :-1] - cw[:, -1:] * mu_z).T @ t["psi_Z"]
        wq = jnp.exp(t["T_X"] @ e_z.T - a_z[None, :] + t["logpi_Z"][None, :])
        rw = wq @ feat_Z
        mu_x = jax.nn.sigmoid(t["chi_X"] @ phi.T)
        gq = (rw[:, :-1] - rw[:, -1:] * mu_x).T @ t["chi_X"]
        return ((gp - rho * theta * t["pen_p"]) * t["mask_p"], (gq - rho * phi * t["pen_q"]) * t["mask_q"])

    return jax.jit(grad)


def task_peer(args: dict) -> dict:
    """game.gradient and the jitted JAX gradient on the d = 12, k = 8 game, their agreement."""
    from .exact_gradient import build, relative_error

    game = build(**SPEC)
    params = game.init(seed=0)
    repeat = args.get("repeat", 30)
    g = game.gradient(params)
    ours = timed(lambda: game.gradient(fresh(params)), repeat=repeat, warmup=3, min_time=1.0, max_repeat=10 * repeat)
    out = {"game": "models.bernoulli(data='random:12:0:1024', latent_dim=8)", "expfam_nash": ours,
           "threads": worker_thread_info(), "loadavg": os.getloadavg()[0]}
    try:
        fn = jax_gradient(game)
    except ImportError:
        out["jax"] = None
        out["skip"] = "JAX not installed (pip install jax jaxlib): no peer measured"
        return out
    import jax

    from expfam_nash import Params

    theta, phi = jax.numpy.asarray(params.theta), jax.numpy.asarray(params.phi)
    gj = fn(theta, phi)
    jax.block_until_ready(gj)
    out["jax"] = timed(lambda: jax.block_until_ready(fn(theta, phi)), repeat=repeat, warmup=3, min_time=1.0,
                       max_repeat=10 * repeat)
    out["jax_version"] = jax.__version__
    out["rel_error_jax_vs_expfam_nash"] = relative_error(Params(np.asarray(gj[0]), np.asarray(gj[1])), g)
    out["ratio_jax_over_expfam_nash"] = out["jax"]["median"] / ours["median"]
    return out


def one_thread_env() -> dict:
    """XLA's CPU backend on one thread (the worker's other pools are pinned by ``run_worker``)."""
    return {"XLA_FLAGS": "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"}


def report_line(label: str, r: dict) -> str:
    if r.get("jax") is None:
        return f"  JAX peer ({label}): {r.get('skip', 'skipped')}"
    return (f"  JAX peer ({label}), {r['game']}: expfam_nash {r['expfam_nash']['median'] * 1e3:.2f} ms, "
            f"jax.jit {r['jax']['median'] * 1e3:.2f} ms (JAX {r['jax_version']}): "
            f"{r['ratio_jax_over_expfam_nash']:.2f}x in our favour (target 5x), rel. difference "
            f"{r['rel_error_jax_vs_expfam_nash']:.1e}")
