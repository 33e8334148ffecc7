"""Benchmark ``neural``: training steps per second of the torch-free VAE learner.

    python -m benchmarks.neural [--quick] [--json PATH]     # measure, print, write JSON
    python -m benchmarks.neural --summary [--quick]         # Markdown tables from the JSON

Networks (tanh hidden layers, float32 parameters, ``nn.learning.init(model, 0)``):

* ``small``: ``nn.VAE(64, nn.priors.UniformBits(16), hidden=(256, 256), activation="tanh")``,
  encoder MLP 64-256-256-16 with a Bernoulli head on 16 latent bits, decoder 16-256-256-64 with
  a Bernoulli head on 64 binary pixels, uniform prior on {0,1}^16; batch 128 and 1024;
* ``large``: the same with 784 pixels, 64 latent bits and hidden (512, 512); batch 128.

One training step is ``nn.symmetric_step(model, state, x, rng, opt=nn.Adam())`` (encoder forward
on the data and z ~ q(z|x); decoder forward + backward; decoder forward on prior samples and
x ~ p(x|z); encoder forward + backward; Adam on both players) or ``nn.elbo_step(..., samples=2)``
(score-function encoder gradient with the leave-one-out baseline, 2 latent samples per x).
Data: random binary batches (probability 1/2 per pixel, seed 0), 8 batches used in turn.

Implementations, each in a fresh subprocess per (network, thread setting):

* ``numba``: the package as it is (kernels loaded from Numba's cache and warmed up first);
* ``numba_disabled``: the same code with ``NUMBA_DISABLE_JIT=1`` (every kernel a Python loop);
* ``torch``: the identical algorithm in PyTorch on the CPU (float32 ``nn.Linear`` + tanh, same
  Glorot-uniform initialisation, Bernoulli samples with ``torch.bernoulli`` under ``no_grad``,
  log-likelihoods by ``binary_cross_entropy_with_logits`` summed over dimensions and averaged
  over the batch, each player's loss back-propagated into its own parameters only,
  ``torch.optim.Adam`` per player with the same hyper-parameters). Optional: skipped, with
  "torch not installed", when ``import torch`` fails. It does not import this package.

Thread settings as in ``benchmarks.run``: "all cores" (NUMBA_NUM_THREADS, OPENBLAS_NUM_THREADS,
OMP_NUM_THREADS, MKL_NUM_THREADS = core count; ``torch.set_num_threads(cores)``) and "one thread"
(all 1). Timing: warm-up steps, then repeats of k steps (k chosen so that a repeat lasts at
least ``min_repeat_s``); steps/s = k / wall seconds, median over repeats (min, max and CPU
seconds kept). Memory: peak RSS during the timed steps (VmHWM after ``clear_refs``), the
process-lifetime peak (ru_maxrss) and, for this package, the tracemalloc peak of one step
(NumPy's allocations: the step's temporaries; tracemalloc does not see torch's allocator).
"""
from __future__ import annotations

import argparse
import cProfile
import datetime
import gc
import json
import math
import os
import pstats
import statistics
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np

from ._common import (
    FOREIGN_LOAD,
    foreign_load,
    RESULTS,
    ROOT,
    emit,
    machine_info,
    rss_kb,
    table,
    THREAD_VARS,
    worker_thread_info,
    write_result,
)
from ._common import run_worker as _common_run_worker

CONFIGS = {
    "small_b128": {"data_dim": 64, "latent_dim": 16, "hidden": [256, 256], "batch": 128,
                   "label": "64-256-256-16, batch 128"},
    "small_b1024": {"data_dim": 64, "latent_dim": 16, "hidden": [256, 256], "batch": 1024,
                    "label": "64-256-256-16, batch 1024"},
    "large_b128": {"data_dim": 784, "latent_dim": 64, "hidden": [512, 512], "batch": 128,
                   "label": "784-512-512-64, batch 128"},
}
IMPLS = ("numba", "numba_disabled", "torch")
METHODS = ("symmetric", "elbo")
N_BATCHES = 8
LR, B1, B2, EPS = 1e-3, 0.9, 0.999, 1e-8
ELBO_SAMPLES = 2
TARGET = "numba symmetric steps/s >= torch at small_b128 (issue)"
DISTURBED = 0.25


# -- workers (run in fresh subprocesses) ---------------------------------------------------------
def _reset_peak_rss() -> str:
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")
        return "VmHWM after clear_refs"
    except OSError:
        return "ru_maxrss (process-lifetime peak: upper bound)"


def _data(cfg) -> np.ndarray:
    rng = np.random.default_rng(0)
    return (rng.random((N_BATCHES * cfg["batch"], cfg["data_dim"])) < 0.5).astype(np.float32)


def _batches(X, b):
    return [np.ascontiguousarray(X[i * b:(i + 1) * b]) for i in range(N_BATCHES)]


def _ours(cfg, method):
    """(step(i) -> info dict, description) for this package."""
    from expfam_nash import neural as nn

    model = nn.VAE(cfg["data_dim"], nn.priors.UniformBits(cfg["latent_dim"]), hidden=tuple(cfg["hidden"]),
                   activation="tanh")
    state = nn.learning.init(model, 0)
    rng = np.random.default_rng(1)
    opt = nn.Adam(lr=LR, b1=B1, b2=B2, eps=EPS)
    xs = _batches(_data(cfg), cfg["batch"])
    box = [state]
    if method == "symmetric":
        def step(i):
            box[0], info = nn.symmetric_step(model, box[0], xs[i % N_BATCHES], rng, opt=opt)
            return info
    else:
        def step(i):
            box[0], info = nn.elbo_step(model, box[0], xs[i % N_BATCHES], rng, opt=opt, samples=ELBO_SAMPLES)
            return info
    n_params = sum(v.size for v in state.params.values())
    return step, {"n_params": int(n_params), "param_dtype": str(next(iter(state.params.values())).dtype)}


def _info_ours(info) -> dict:
    return info.to_dict()


def _torch(cfg, method, threads):
    """(step(i) -> info dict, description) for the PyTorch version of the same algorithm."""
    import torch
    import torch.nn.functional as F

    torch.set_num_threads(threads)
    torch.manual_seed(0)
    d, k, hidden, n = cfg["data_dim"], cfg["latent_dim"], cfg["hidden"], cfg["batch"]

    def mlp(sizes):
        layers = []
        for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:], strict=True)):
            lin = torch.nn.Linear(a, b)
            torch.nn.init.xavier_uniform_(lin.weight)       # Glorot uniform, zero bias: as MLP.init
            torch.nn.init.zeros_(lin.bias)
            layers.append(lin)
            if i < len(sizes) - 2:
                layers.append(torch.nn.Tanh())
        return torch.nn.Sequential(*layers)

    enc, dec = mlp((d, *hidden, k)), mlp((k, *hidden, d))
    opt_e = torch.optim.Adam(enc.parameters(), lr=LR, betas=(B1, B2), eps=EPS)
    opt_d = torch.optim.Adam(dec.parameters(), lr=LR, betas=(B1, B2), eps=EPS)
    xs = [torch.from_numpy(x) for x in _batches(_data(cfg), n)]
    log_prior = -k * math.log(2.0)

    def loglik(logits, target):
        return -F.binary_cross_entropy_with_logits(logits, target, reduction="none").sum(1)

    if method == "symmetric":
        def step(i):
            x = xs[i % N_BATCHES]
            with torch.no_grad():                                   # z ~ q(z|x)
                z = torch.bernoulli(torch.sigmoid(enc(x)))
            ll_p = loglik(dec(z), x).mean()                         # decoder: log p(x|z) on (data, z)
            with torch.no_grad():                                   # z ~ pi, x ~ p(x|z)
                zg = torch.bernoulli(torch.full((n, k), 0.5))
                xg = torch.bernoulli(torch.sigmoid(dec(zg)))
            ll_q = loglik(enc(xg), zg).mean()                       # encoder: log q(z|x) on (x, z) dreamt
            opt_d.zero_grad(set_to_none=True)
            opt_e.zero_grad(set_to_none=True)
            (-ll_p).backward()                                      # into the decoder only
            (-ll_q).backward()                                      # into the encoder only
            opt_d.step()
            opt_e.step()
            return {"decoder_ll": ll_p.item(), "encoder_ll": ll_q.item()}
    else:
        S = ELBO_SAMPLES

        def step(i):
            x = xs[i % N_BATCHES].repeat_interleave(S, 0)
            logits_q = enc(x)
            with torch.no_grad():
                z = torch.bernoulli(torch.sigmoid(logits_q))
            log_q = loglik(logits_q, z)
            log_px = loglik(dec(z), x)
            with torch.no_grad():                                   # score function, leave-one-out baseline
                f = (log_px + log_prior - log_q).view(-1, S)
                w = ((f - (f.sum(1, keepdim=True) - f) / (S - 1)) / f.numel()).view(-1)
            loss = -log_px.mean() - (w * log_q).sum()               # decoder: exact; encoder: score function
            opt_d.zero_grad(set_to_none=True)
            opt_e.zero_grad(set_to_none=True)
            loss.backward()
            opt_d.step()
            opt_e.step()
            return {"elbo": float(f.mean())}

    n_params = sum(p.numel() for p in list(enc.parameters()) + list(dec.parameters()))
    desc = {"n_params": int(n_params), "param_dtype": "float32", "torch": torch.__version__,
            "torch_threads": torch.get_num_threads(), "torch_interop_threads": torch.get_num_interop_threads(),
            "mkldnn": bool(torch.backends.mkldnn.is_available()),
            "parallel_info": torch.__config__.parallel_info().splitlines()[:12]}
    return step, desc


def _time_steps(step, warmup: int, repeat: int, min_repeat_s: float, after_warmup=lambda: None) -> dict:
    i = 0
    for _ in range(warmup):
        step(i)
        i += 1
    after_warmup()
    t0 = time.perf_counter()
    step(i)
    i += 1
    one = time.perf_counter() - t0
    k = max(1, math.ceil(min_repeat_s / max(one, 1e-9)))
    rates, walls, cpus = [], [], []
    for _ in range(repeat):
        c0, t0 = time.process_time(), time.perf_counter()
        for _ in range(k):
            info = step(i)
            i += 1
        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
        rates.append(k / wall)
        walls.append(wall / k)
        cpus.append(cpu / k)
    return {"steps_per_s": statistics.median(rates), "steps_per_s_min": min(rates), "steps_per_s_max": max(rates),
            "ms_per_step_median": 1e3 * statistics.median(walls), "cpu_ms_per_step_median": 1e3 * statistics.median(cpus),
            "steps_per_repeat": k, "repeats": repeat, "warmup": warmup, "last_info": info, "steps_done": i}


def task_steps(args: dict) -> dict:
    """Time ``args['methods']`` for one network and one implementation in this process."""
    cfg = CONFIGS[args["config"]]
    impl = args["impl"]
    threads = int(os.environ.get("OMP_NUM_THREADS") or os.cpu_count())
    out = {"config": args["config"], "impl": impl, "methods": {}}
    if impl == "torch":
        try:
            import torch  # noqa: F401
        except ImportError:
            return {**out, "skipped": "torch not installed"}
    rss0 = rss_kb("VmRSS")
    for method in args["methods"]:
        step, desc = (_torch(cfg, method, threads) if impl == "torch" else _ours(cfg, method))
        mark = {}

        def reset(mark=mark):           # after the warm-up: the peak of the timed steps only
            gc.collect()
            mark["how"] = _reset_peak_rss()
            mark["before"] = rss_kb("VmRSS")

        res = _time_steps(step, args["warmup"], args["repeat"], args["min_repeat_s"], reset)
        how, before = mark["how"], mark["before"]
        peak = rss_kb("VmHWM") if how.startswith("VmHWM") else None
        res["last_info"] = _info_ours(res["last_info"]) if impl != "torch" else res["last_info"]
        mem = {"method": how, "rss_before_mb": before / 1024, "peak_rss_mb": None if peak is None else peak / 1024,
               "steps_mb": None if peak is None else (peak - before) / 1024}
        if impl == "numba" and args.get("tracemalloc", True):
            gc.collect()
            tracemalloc.start()
            step(res["steps_done"])
            cur, traced_peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
            mem["tracemalloc_step_peak_mb"] = traced_peak / 2 ** 20
            mem["tracemalloc_step_retained_mb"] = cur / 2 ** 20
        out["methods"][method] = {**res, "memory": mem, **desc}
    import resource

    out["rss_after_imports_mb"] = rss0 / 1024
    out["ru_maxrss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    if impl != "torch":
        import numba

        out["numba_disable_jit"] = bool(numba.config.DISABLE_JIT)
        out["threads"] = worker_thread_info()
    else:
        out["threads"] = {"env": {v: os.environ.get(v) for v in THREAD_VARS}}
    out["loadavg"] = list(os.getloadavg())
    return out


def task_profile(args: dict) -> dict:
    """cProfile of ``n`` symmetric steps of one network (after warm-up); top functions by own time.
    A BLAS product called with ``@`` is not a profiled call: its time is the caller's own time
    (``MLP.forward`` / ``MLP.backward``)."""
    step, _ = _ours(CONFIGS[args["config"]], "symmetric")
    for i in range(10):
        step(i)
    n = args.get("n", 300)
    prof = cProfile.Profile()
    t0 = time.perf_counter()
    prof.enable()
    for i in range(n):
        step(i)
    prof.disable()
    wall = time.perf_counter() - t0
    st = pstats.Stats(prof)
    rows = []
    for (fn, line, name), (_, nc, tt, ct, _) in st.stats.items():
        short = fn.split("site-packages/", 1)[1] if "site-packages/" in fn else os.path.relpath(fn, ROOT) if fn.startswith("/") else fn
        rows.append({"function": f"{short}:{line}({name})", "ncalls": nc, "tottime": tt, "cumtime": ct})
    top = sorted(rows, key=lambda r: -r["tottime"])[: args.get("top", 15)]
    return {"config": args["config"], "n": n, "profiled_wall_s": wall, "profiled_total_s": st.total_tt,
            "ms_per_step_profiled": 1e3 * wall / n, "top_tottime": top, "threads": worker_thread_info()}


TASKS = {"steps": task_steps, "profile": task_profile}


# -- driver ---------------------------------------------------------------------------------------
def run_worker(task: str, args: dict, threads: int | None, extra_env: dict | None = None,
               timeout: float = 3600.0) -> dict:
    """``benchmarks._common.run_worker`` for this module's tasks (``python -m benchmarks.neural
    --worker TASK``), with NUMBA_DISABLE_JIT unset unless ``extra_env`` sets it."""
    return _common_run_worker(task, args, threads, timeout=timeout, extra_env=extra_env,
                              module="benchmarks.neural", clear=("NUMBA_DISABLE_JIT",))


def plan(quick: bool) -> dict:
    """Repeats and which (network, implementation) pairs run."""
    return {
        "numba": {"warmup": 5 if quick else 10, "repeat": 3 if quick else 7, "min_repeat_s": 0.2 if quick else 0.5},
        "torch": {"warmup": 5 if quick else 10, "repeat": 3 if quick else 7, "min_repeat_s": 0.2 if quick else 0.5},
        # every kernel a Python loop: a step takes seconds (small_b1024: ~15 s symmetric, ~30 s ELBO);
        # no JIT to warm up: one untimed step, then single-step repeats
        "numba_disabled": {"warmup": 0, "repeat": 1 if quick else 2, "min_repeat_s": 0.0,
                           "configs": ["small_b128"] if quick else list(CONFIGS)},
        # a worker during which other processes used more than DISTURBED cores is run again (up to
        # this many times; the least disturbed attempt is kept): one busy foreign process stalls
        # multi-threaded OpenBLAS/MKL calls on a 2-core machine (see "Reading the numbers")
        "retries": 1 if quick else 3,
    }


def run(quick: bool, progress=print, foreign: int = 0) -> dict:
    """All measurements; ``foreign`` > 0: the caller keeps that many busy processes running, so a
    disturbed worker is not run again and the slow Numba-disabled runs are left out."""
    p = plan(quick)
    if foreign:
        p["retries"] = 0
        p["numba_disabled"]["configs"] = []
    out = {"configs": CONFIGS, "methods": {"symmetric": "nn.symmetric_step(model, state, x, rng, opt=nn.Adam())",
                                           "elbo": f"nn.elbo_step(model, state, x, rng, opt=nn.Adam(), samples={ELBO_SAMPLES})"},
           "target": TARGET, "plan": p, "cores": os.cpu_count()}
    for label, threads in (("all_cores", None), ("one_thread", 1)):
        out[label] = {}
        for name in CONFIGS:
            out[label][name] = {}
            for impl in IMPLS:
                if name not in p[impl].get("configs", CONFIGS):
                    out[label][name][impl] = {"skipped": "not run with --quick" if quick else "not planned"}
                    continue
                args = {"config": name, "impl": impl, "methods": list(METHODS),
                        **{k: v for k, v in p[impl].items() if k != "configs"}}
                extra = {"NUMBA_DISABLE_JIT": "1"} if impl == "numba_disabled" else None
                t0 = time.perf_counter()
                attempts = []
                tries = 1 + (p["retries"] if impl != "numba_disabled" else 0)
                for attempt in range(tries):
                    attempts.append(run_worker("steps", args, threads, extra_env=extra))
                    if "skipped" in attempts[-1] or attempts[-1].get("foreign_cpu_cores", 0.0) <= DISTURBED \
                            or attempt == tries - 1:
                        break
                    progress(f"  {label:10s} {name:12s} {impl:15s} disturbed (other processes used "
                             f"{attempts[-1]['foreign_cpu_cores']:.2f} cores): again")
                r = min(attempts, key=lambda a: a.get("foreign_cpu_cores", 0.0))
                r["attempts"] = [{"foreign_cpu_cores": a.get("foreign_cpu_cores"),
                                  **{m: a["methods"][m]["steps_per_s"] for m in a.get("methods", {})}} for a in attempts]
                out[label][name][impl] = r
                if "skipped" in r:
                    progress(f"  {label:10s} {name:12s} {impl:15s} {r['skipped']}")
                else:
                    progress(f"  {label:10s} {name:12s} {impl:15s} " + "  ".join(
                        f"{m} {r['methods'][m]['steps_per_s']:8.2f} steps/s" for m in METHODS)
                        + f"  ({time.perf_counter() - t0:.0f} s, foreign load {r.get('foreign_cpu_cores', float('nan')):.2f})")
        for name in CONFIGS:
            rows = out[label][name]
            for m in METHODS:
                ours, tor = (rows.get(i, {}).get("methods", {}).get(m) for i in ("numba", "torch"))
                if ours and tor:
                    ours["vs_torch"] = ours["steps_per_s"] / tor["steps_per_s"]
                dis = rows.get("numba_disabled", {}).get("methods", {}).get(m)
                if ours and dis:
                    ours["vs_numba_disabled"] = ours["steps_per_s"] / dis["steps_per_s"]
    out["all_cores_over_one_thread"] = {
        f"{name} {m}": out["all_cores"][name]["numba"]["methods"][m]["steps_per_s"]
        / out["one_thread"][name]["numba"]["methods"][m]["steps_per_s"]
        for name in CONFIGS for m in METHODS
        if m in out["all_cores"][name]["numba"].get("methods", {}) and m in out["one_thread"][name]["numba"].get("methods", {})}
    out["profile_small_b128_one_thread"] = run_worker("profile", {"config": "small_b128", "n": 150 if quick else 500}, 1)
    return out


def _fmt_rate(x) -> str:
    if x is None:
        return "-"
    return f"{x:.0f}" if x >= 100 else f"{x:.1f}" if x >= 1 else f"{x:.3f}"


def _cell(rows, impl, m):
    r = rows.get(impl, {})
    if "skipped" in r:
        return r["skipped"]
    x = r.get("methods", {}).get(m)
    return _fmt_rate(x["steps_per_s"]) if x else "-"


def report(res: dict) -> str:
    lines = []
    for label in ("all_cores", "one_thread"):
        rows = []
        for name, cfg in CONFIGS.items():
            r = res[label][name]
            thr = r["numba"].get("threads", {}).get("numba_threads", "?")
            for m in METHODS:
                ours = r["numba"].get("methods", {}).get(m, {})
                vt = ours.get("vs_torch")
                mem = ours.get("memory", {})
                tmem = r.get("torch", {}).get("methods", {}).get(m, {}).get("memory", {})
                fl = "/".join(f"{r[i]['foreign_cpu_cores']:.2f}" if "foreign_cpu_cores" in r.get(i, {}) else "-"
                              for i in ("numba", "torch"))
                rows.append([cfg["label"], m, thr, _cell(r, "numba", m), _cell(r, "numba_disabled", m), _cell(r, "torch", m),
                             "-" if vt is None else f"{vt:.2f}x", fl,
                             "-" if mem.get("peak_rss_mb") is None else f"{mem['peak_rss_mb']:.0f}",
                             "-" if mem.get("tracemalloc_step_peak_mb") is None else f"{mem['tracemalloc_step_peak_mb']:.1f}",
                             "-" if tmem.get("peak_rss_mb") is None else f"{tmem['peak_rss_mb']:.0f}"])
        lines.append(f"neural ({label.replace('_', ' ')}): training steps per second (median), peak memory")
        lines.append(table(rows, ["network", "method", "threads", "numba", "numba off", "torch", "vs torch",
                                  "foreign", "RSS MB", "traced MB/step", "torch RSS MB"]))
        lines.append("")
    ratio = res.get("all_cores_over_one_thread")
    if ratio:
        lines.append("numba steps/s, all cores / one thread: " + ", ".join(f"{k} {v:.2f}" for k, v in ratio.items()))
    p = res.get("profile_small_b128_one_thread")
    if p:
        lines.append(f"cProfile, {p['n']} symmetric steps, small_b128, 1 thread ({p['ms_per_step_profiled']:.2f} ms/step profiled):")
        lines.append(table([[e["function"][-60:], e["ncalls"], f"{e['tottime']:.3f}", f"{e['cumtime']:.3f}"]
                            for e in p["top_tottime"][:10]], ["function", "ncalls", "tottime s", "cumtime s"]))
    return "\n".join(lines)


def markdown(payload: dict) -> str:
    """The README tables of one result file."""
    res, m = payload["results"], payload["machine"]
    out = [f"Machine: {m['cpu_model']} ({m['logical_cores']} logical cores, flags {', '.join(m['cpu_flags'])}), "
           f"Python {m['python']}, NumPy {m['numpy']} ({m.get('numpy_blas', '?')}), Numba {m['numba']}"
           + (f", PyTorch {payload.get('torch_version')}" if payload.get("torch_version") else ", PyTorch not installed")
           + f"; run {payload['timestamp']}, other processes' CPU use during measurements <= "
           f"{payload.get('max_foreign_cpu_cores', float('nan')):.2f} cores.\n"]
    out.append("| threads | network | method | numba steps/s | Numba disabled | PyTorch | numba / PyTorch | "
               "peak RSS MB (numba / PyTorch) | traced MB per step | other processes' cores (numba / PyTorch) |")
    out.append("|---|---|---|---|---|---|---|---|---|---|")
    for label in ("all_cores", "one_thread"):
        for name, cfg in CONFIGS.items():
            r = res[label][name]
            thr = r["numba"].get("threads", {}).get("numba_threads", "?")
            for meth in METHODS:
                ours = r["numba"].get("methods", {}).get(meth, {})
                tor = r.get("torch", {}).get("methods", {}).get(meth, {})
                vt = ours.get("vs_torch")
                rss = (f"{ours['memory']['peak_rss_mb']:.0f}" if ours.get("memory", {}).get("peak_rss_mb") else "-") + " / " + \
                      (f"{tor['memory']['peak_rss_mb']:.0f}" if tor.get("memory", {}).get("peak_rss_mb") else "-")
                tm = ours.get("memory", {}).get("tracemalloc_step_peak_mb")
                dis = _cell(r, "numba_disabled", meth)
                fl = " / ".join(f"{r[i]['foreign_cpu_cores']:.2f}" if "foreign_cpu_cores" in r.get(i, {}) else "-"
                                for i in ("numba", "torch"))
                out.append(f"| {thr} | {cfg['label']} | {meth} | {_cell(r, 'numba', meth)} | {dis} | "
                           f"{_cell(r, 'torch', meth)} | {'-' if vt is None else f'{vt:.2f}x'} | {rss} | "
                           f"{'-' if tm is None else f'{tm:.1f}'} | {fl} |")
    p = res.get("profile_small_b128_one_thread")
    if p:
        out.append(f"\ncProfile of {p['n']} symmetric steps, 64-256-256-16 at batch 128, 1 thread "
                   f"({p['ms_per_step_profiled']:.2f} ms per step while profiled), top by own time "
                   f"(a BLAS product written `a @ b` is its caller's own time):\n")
        out.append("| function | calls | own s | cumulative s |\n|---|---|---|---|")
        for e in p["top_tottime"][:10]:
            out.append(f"| `{e['function']}` | {e['ncalls']} | {e['tottime']:.3f} | {e['cumtime']:.3f} |")
    return "\n".join(out)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.neural", description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="fewer repeats; Numba-disabled only at batch 128 (small)")
    ap.add_argument("--json", metavar="PATH", help="write the results here instead of benchmarks/results/neural[_quick].json")
    ap.add_argument("--summary", action="store_true", help="print the Markdown tables of the stored results and exit")
    ap.add_argument("--foreign-load", type=int, default=0, metavar="N",
                    help="keep N foreign busy processes (while True: pass) running during the measurements "
                         "(results: neural[_quick]_foreign<N>.json)")
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    ap.add_argument("--args", default="{}", help=argparse.SUPPRESS)
    ns = ap.parse_args(argv)
    if ns.worker:
        emit(TASKS[ns.worker](json.loads(ns.args)))
        return 0
    load = max(0, ns.foreign_load)
    default = RESULTS / (("neural_quick" if ns.quick else "neural") + (f"_foreign{load}" if load else "") + ".json")
    if ns.summary:
        path = Path(ns.json) if ns.json else default
        print(markdown(json.loads(path.read_text())))
        return 0
    machine = machine_info()
    try:
        import torch
        torch_version = torch.__version__
    except ImportError:
        torch_version = None
        print("torch not installed: the PyTorch column is skipped (pip install torch, CPU wheel)", flush=True)
    print(f"machine: {machine['cpu_model']}, {machine['logical_cores']} logical cores, numpy {machine['numpy']}, "
          f"numba {machine['numba']}, torch {torch_version or '-'}, load average {machine['loadavg_at_start'][0]:.2f}"
          + ("  (quick)" if ns.quick else ""), flush=True)
    FOREIGN_LOAD.clear()
    t0 = time.perf_counter()
    with foreign_load(load):
        res = run(ns.quick, progress=lambda s: print(s, flush=True), foreign=load)
    elapsed = time.perf_counter() - t0
    foreign = max(FOREIGN_LOAD, default=float("nan"))
    payload = {"benchmark": "neural", "quick": ns.quick, "timestamp": datetime.datetime.now().isoformat(timespec="seconds"),
               "command": "python -m benchmarks.neural" + (" --quick" if ns.quick else "")
               + (f" --foreign-load {load}" if load else ""), "foreign_load_processes": load, "wall_seconds": elapsed,
               "max_foreign_cpu_cores": foreign, "machine": machine, "torch_version": torch_version, "results": res}
    if ns.json:
        path = Path(ns.json)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(payload, indent=2, default=float) + "\n")
    else:
        path = write_result(default.stem, payload)
    print()
    print(report(res))
    print(f"  [{elapsed:.0f} s; other processes used up to {foreign:.2f} cores during a measurement"
          + (" -- timings are disturbed" if foreign > 0.25 else "") + f"; written to {path}]", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
