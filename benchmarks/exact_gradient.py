"""Benchmark ``exact_gradient``: the exact pseudo-gradient of a large finite Bernoulli pair.

Game: ``models.bernoulli(data="random:16:0:4096", latent_dim=10)`` -- decoder Bernoulli(16)
given Affine(10), encoder Bernoulli(10) given Affine(16), 4096 distinct data points with
Dirichlet weights, uniform prior on {0,1}^10; params = ``game.init(seed=0)``. The encoder's
term sums over all |X| x |Z| = 2^16 x 2^10 pairs, the decoder's over N x |Z| = 4096 x 2^10.

Flop model (the straightforward algorithm, one multiply-add = 2 flops, exponentials counted
separately and not included in the flops):
  encoder term  2 |X| |Z| (m + n + 2): logits <T(x), eta(z)> (m), then the weighted sums of
                (S(z), 1, log g(z)) (n + 2);
  decoder term  2 N |Z| (n + m + 2): logits <S(z), eta(x)> (n), then the weighted sums of
                (T(x), 1, log h(x)) (m + 2);
  exponentials  |X| |Z| + N |Z|.
with m = d = 16 (decoder statistic), n = k = 10 (encoder statistic). The factorised paths do
fewer flops than this model counts, so "effective GFLOP/s" can exceed the machine's rate.
"""
from __future__ import annotations

import gc
import tracemalloc

import numpy as np

from . import jax_peer
from ._common import fresh, rss_kb, timed, worker_thread_info

SPEC = {"d": 16, "k": 10, "n": 4096, "seed": 0}


def build(d=16, k=10, n=4096, seed=0, rho=0.0):
    from expfam_nash import models

    return models.bernoulli(data=f"random:{d}:{seed}:{n}", latent_dim=k, rho=rho)


def flop_model(game) -> dict:
    fx, fz = game.decoder.family, game.encoder.family
    nx, nz, m, n = fx.support_size, fz.support_size, fx.stat_dim, fz.stat_dim
    big_n = game.data.points.shape[0]
    enc, dec = 2.0 * nx * nz * (m + n + 2), 2.0 * big_n * nz * (n + m + 2)
    return {"X": nx, "Z": nz, "N": big_n, "m": m, "n": n, "encoder_flops": enc, "decoder_flops": dec,
            "flops": enc + dec, "exps": float(nx * nz + big_n * nz)}


def _support_weights(points_all, points, weights):
    """Weights of ``points`` aligned to the rows of ``points_all`` (0 elsewhere)."""
    index = {np.ascontiguousarray(r).tobytes(): i for i, r in enumerate(points_all)}
    out = np.zeros(points_all.shape[0])
    for r, w in zip(points, weights):
        out[index[np.ascontiguousarray(r, dtype=np.float64).tobytes()]] += w
    return out


def numpy_gradient(game, params, block: int = 4096):
    """The straightforward vectorised NumPy pseudo-gradient (alpha = 0): THEORY.md section 2
    term by term, the pair weights materialised as a (rows x |Z|) table per block of rows,
    ``np.exp`` of the log-probability table, then matrix products. Independent of the engine:
    it uses only the families' and lifts' public methods."""
    from expfam_nash import Params

    if game.alpha != 0:
        raise ValueError("numpy_gradient: only alpha = 0")
    dec, enc = game.decoder, game.encoder
    fx, fz = dec.family, enc.family
    X, Z = fx.support(), fz.support()
    T_X, logh_X, chi_X = fx.sufficient_statistics(X), fx.log_base_measure(X), enc.lift(X)
    S_Z, logg_Z, psi_Z = fz.sufficient_statistics(Z), fz.log_base_measure(Z), dec.lift(Z)
    feat_Z = np.column_stack([S_Z, np.ones(Z.shape[0])])
    D, pi_D = game.data.points, game.data.weights
    T_D, chi_D = fx.sufficient_statistics(D), enc.lift(D)
    with np.errstate(divide="ignore"):
        logpi_Z = np.log(_support_weights(Z, game.prior.points, game.prior.weights))
    theta, phi = params.theta, params.phi
    e_z = psi_Z @ theta.T
    a_z, mu_z = fx.log_partition(e_z), fx.mean(e_z)
    # decoder: sum_{i in data, j} pi(x_i) q(z_j|x_i) (T(x_i) - mu_p(z_j)) psi(z_j)^T
    e_d = chi_D @ phi.T
    w = pi_D[:, None] * np.exp(e_d @ S_Z.T + logg_Z[None, :] - fz.log_partition(e_d)[:, None])
    cw = w.T @ np.column_stack([T_D, np.ones(D.shape[0])])
    gp = (cw[:, :-1] - cw[:, -1:] * mu_z).T @ psi_Z
    # encoder: sum_{i in X, j} pi(z_j) p(x_i|z_j) (S(z_j) - mu_q(x_i)) chi(x_i)^T, rows in blocks
    gq = np.zeros_like(phi)
    for lo in range(0, X.shape[0], block):
        sl = slice(lo, lo + block)
        w = np.exp(T_X[sl] @ e_z.T + logh_X[sl, None] - a_z[None, :] + logpi_Z[None, :])
        rw = w @ feat_Z
        mu_x = fz.mean(chi_X[sl] @ phi.T)
        gq += (rw[:, :-1] - rw[:, -1:] * mu_x).T @ chi_X[sl]
    gp = gp - game.rho * theta * dec.penalty_mask
    gq = gq - game.rho * phi * enc.penalty_mask
    return Params(gp * dec.mask, gq * enc.mask)


def relative_error(a, b) -> float:
    """max |a - b| / max |b| over both players' gradients."""
    va = np.concatenate([a.theta.ravel(), a.phi.ravel()])
    vb = np.concatenate([b.theta.ravel(), b.phi.ravel()])
    return float(np.max(np.abs(va - vb)) / max(np.max(np.abs(vb)), 1e-300))


def matmul_rate(n: int = 3000, repeat: int = 5) -> dict:
    """float64 GEMM rate of this process (np.dot of two n x n matrices, best of ``repeat``)."""
    rng = np.random.default_rng(0)
    a, b = rng.random((n, n)), rng.random((n, n))
    t = timed(lambda: np.dot(a, b), repeat=repeat, warmup=1)
    return {"n": n, "best_s": t["min"], "median_s": t["median"], "gflops_best": 2.0 * n ** 3 / t["min"] / 1e9,
            "gflops_median": 2.0 * n ** 3 / t["median"] / 1e9}


def _phases(game, params, repeat) -> dict:
    """Per-part times of the blocked engine (engine internals; skipped if they change)."""
    eng = game.engine
    out = {}
    try:
        th, ph = params.theta, params.phi
        e_z, a_z, _ = eng._decoder_natural(th)
        out["encoder_natural_params"] = timed(lambda: eng._encoder_natural(ph, eng.chi_X), repeat)["median"]
        out["decoder_column_sums"] = timed(lambda: eng.decoder_column_sums(ph), repeat)["median"]
        out["encoder_row_sums"] = timed(lambda: eng.encoder_row_sums(e_z, a_z), repeat)["median"]
    except Exception as exc:  # noqa: BLE001 -- internals belong to another module
        out["error"] = repr(exc)
    return out


def task_gradient(args: dict) -> dict:
    """Times of game.gradient and of the NumPy version, their agreement, the GEMM rate."""
    import os

    repeat, np_repeat = args.get("repeat", 15), args.get("numpy_repeat", 5)
    game = build(**SPEC)
    params = game.init(seed=0)
    fm = flop_model(game)
    g = game.gradient(params)                                    # compiles / loads kernels
    g_np = numpy_gradient(game, params)
    err = relative_error(g, g_np)
    load0 = os.getloadavg()[0]
    t = timed(lambda: game.gradient(fresh(params)), repeat=repeat, warmup=2, min_time=2.0, max_repeat=4 * repeat)
    t_np = timed(lambda: numpy_gradient(game, params), repeat=np_repeat, warmup=1)
    phases = _phases(game, params, max(3, repeat // 3))
    mm = matmul_rate(args.get("matmul_n", 3000), args.get("matmul_repeat", 5))
    return {"flop_model": fm, "gradient": t, "numpy": t_np, "rel_error_vs_numpy": err,
            "phases": phases,
            "matmul": mm, "threads": worker_thread_info(), "loadavg": [load0, os.getloadavg()[0]]}


def task_interference(args: dict) -> dict:
    """Gradient time of a mid-size game (default d=12, k=8, N=1024) with pair_sums forced onto
    Numba's thread pool or kept serial. Documents why ``pairs.PARALLEL_MIN_PAIRS`` exists: after
    a parallel region the pool's workers spin (libgomp default) and starve the BLAS threads."""
    import os

    from expfam_nash.kernels import pairs

    pairs.PARALLEL_MIN_PAIRS = int(args["parallel_min_pairs"])
    game = build(d=args.get("d", 12), k=args.get("k", 8), n=args.get("n", 1024))
    params = game.init(seed=0)
    t = timed(lambda: game.gradient(fresh(params)), repeat=args.get("repeat", 30), warmup=3)
    return {"gradient": t, "parallel_min_pairs": pairs.PARALLEL_MIN_PAIRS, "threads": worker_thread_info(),
            "loadavg": os.getloadavg()[0]}


def task_memory(args: dict) -> dict:
    """Peak resident memory of one gradient evaluation in a fresh process.

    Kernels are compiled/loaded first on a small game with the same code path (d=12, k=6),
    then the peak-RSS counter is reset (``echo 5 > /proc/self/clear_refs``) and the big
    game's gradient is evaluated once. Reported: RSS before, the peak RSS during the
    evaluation (VmHWM), their difference (the evaluation's own high-water mark), and the
    tracemalloc peak (NumPy allocations only: Numba's own allocations are not traced).
    Falls back to ru_maxrss (process-lifetime peak, an upper bound) if clear_refs is refused."""
    import resource

    which = args.get("which", "engine")
    small = build(d=12, k=6, n=64)
    small.gradient(small.init(seed=0))
    game = build(**SPEC)
    params = game.init(seed=0)
    fn = (lambda: game.gradient(fresh(params))) if which == "engine" else (lambda: numpy_gradient(game, params))
    if which != "engine":
        numpy_gradient(small, small.init(seed=0))
    gc.collect()
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")
        method = "VmHWM after clear_refs"
    except OSError:
        method = "ru_maxrss (process-lifetime peak: upper bound)"
    before = rss_kb("VmRSS")
    tracemalloc.start()
    fn()
    _, traced_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    peak = rss_kb("VmHWM") if method.startswith("VmHWM") else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {"which": which, "method": method, "rss_before_mb": before / 1024, "peak_rss_mb": peak / 1024,
            "evaluation_mb": (peak - before) / 1024, "tracemalloc_peak_mb": traced_peak / 2 ** 20,
            "ru_maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def run(quick: bool, run_worker) -> dict:
    args = {"repeat": 7 if quick else 15, "numpy_repeat": 2 if quick else 5,
            "matmul_repeat": 3 if quick else 7, "matmul_n": 2048 if quick else 3000}
    out = {"game": "models.bernoulli(data='random:16:0:4096', latent_dim=10), params = game.init(seed=0)",
           "targets": {"ratio_vs_numpy": 5.0, "fraction_of_matmul": 0.40, "memory_mb": 300.0}}
    for label, threads in (("all_cores", None), ("one_thread", 1)):
        r = run_worker("gradient", args, threads)
        fm = r["flop_model"]
        for tt in (r["gradient"],):
            tt["effective_gflops"] = fm["flops"] / tt["median"] / 1e9
            tt["fraction_of_matmul"] = tt["effective_gflops"] / r["matmul"]["gflops_best"]
            tt["ratio_vs_numpy"] = r["numpy"]["median"] / tt["median"]
        r["numpy"]["effective_gflops"] = fm["flops"] / r["numpy"]["median"] / 1e9
        out[label] = r
    out["memory"] = {w: run_worker("memory", {"which": w}, None) for w in ("engine", "numpy")}
    inter = {}
    for label, pmp, extra in (("serial pair_sums (default)", 2 ** 62, {}),
                              ("parallel pair_sums", 0, {}),
                              ("parallel pair_sums, OMP_WAIT_POLICY=passive", 0, {"OMP_WAIT_POLICY": "passive"}),
                              ("parallel pair_sums, OPENBLAS_THREAD_TIMEOUT=4", 0, {"OPENBLAS_THREAD_TIMEOUT": "4"})):
        r = run_worker("interference", {"parallel_min_pairs": pmp, "repeat": 15 if quick else 40}, None, extra_env=extra)
        inter[label] = {"median": r["gradient"]["median"], "min": r["gradient"]["min"], "env": extra,
                        "loadavg": r["loadavg"]}
    out["thread_interference"] = {"game": "models.bernoulli(data='random:12:0:1024', latent_dim=8), all cores",
                                  "configurations": inter}
    out["jax_peer"] = {"all_cores": run_worker("peer", {"repeat": 10 if quick else 30}, None),
                       "one_thread": run_worker("peer", {"repeat": 10 if quick else 30}, 1,
                                                extra_env=jax_peer.one_thread_env())}
    return out


def report(res: dict) -> str:
    from ._common import table

    rows = []
    for label in ("all_cores", "one_thread"):
        r = res[label]
        thr = r["threads"]["numba_threads"]
        for name, tt, err in (("game.gradient", r["gradient"], r["rel_error_vs_numpy"]),):
            rows.append([f"{label} ({thr} thr) {name}", f"{tt['median'] * 1e3:.1f}", f"{tt['min'] * 1e3:.1f}",
                         f"{tt['effective_gflops']:.1f}", f"{r['matmul']['gflops_best']:.1f}",
                         f"{100 * tt['fraction_of_matmul']:.0f}%", f"{tt['ratio_vs_numpy']:.1f}x", f"{err:.1e}"])
        rows.append([f"{label} ({thr} thr) NumPy reference", f"{r['numpy']['median'] * 1e3:.1f}",
                     f"{r['numpy']['min'] * 1e3:.1f}", f"{r['numpy']['effective_gflops']:.1f}", "", "", "1.0x", ""])
    fm = res["all_cores"]["flop_model"]
    mem = res["memory"]
    lines = [f"exact_gradient: {res['game']}",
             f"  flop model: {fm['flops'] / 1e9:.3f} GFLOP per gradient (encoder {fm['encoder_flops'] / 1e9:.3f}, "
             f"decoder {fm['decoder_flops'] / 1e9:.3f}) + {fm['exps'] / 1e6:.1f} M exponentials",
             table(rows, ["configuration", "median ms", "min ms", "eff. GFLOP/s", "GEMM GFLOP/s", "of GEMM",
                          "vs NumPy", "rel. err"]),
             "  memory (fresh process, %s): engine evaluation %.1f MB over %.1f MB before (peak RSS %.1f MB; "
             "NumPy-traced peak %.1f MB); NumPy reference evaluation %.1f MB"
             % (mem["engine"]["method"], mem["engine"]["evaluation_mb"], mem["engine"]["rss_before_mb"],
                mem["engine"]["peak_rss_mb"], mem["engine"]["tracemalloc_peak_mb"], mem["numpy"]["evaluation_mb"])]
    ti = res.get("thread_interference")
    if ti:
        lines.append(f"  thread interference, {ti['game']}: " + "; ".join(
            f"{k} {v['median'] * 1e3:.2f} ms" for k, v in ti["configurations"].items()))
    for label, r in res.get("jax_peer", {}).items():
        lines.append(jax_peer.report_line(label.replace("_", " "), r))
    ph = res["all_cores"].get("phases", {})
    if ph and "error" not in ph:
        lines.append("  parts (all cores, median): " + ", ".join(f"{k} {v * 1e3:.1f} ms" for k, v in ph.items()))
    return "\n".join(lines)
